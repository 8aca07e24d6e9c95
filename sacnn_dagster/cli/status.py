"""`sacnn-dagster status --region DIR`: the region's health from the Dagster instance at $DAGSTER_HOME (default
./.dagster_home), for a person, cron or a Kubernetes probe. Per monitored asset the newest month built, the
months missing and whether the month due is overdue; the checks failing with severity error; the last failed
run. Exit status 0 when nothing is overdue or failing, 1 otherwise, 2 for a bad region folder."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

from sacnn_dagster.defs.code_location import build_definitions
from sacnn_dagster.defs.monitoring.freshness import monitored_assets
from sacnn_dagster.defs.monitoring.instance_state import health_summary


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD (or an ISO date and time)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def add_status_parser(sub) -> None:
    p = sub.add_parser(
        "status",
        help="the region's health: newest month built, months missing, overdue sources, failing checks, the last "
        "failed run; exit status 1 when anything is overdue or failing",
    )
    p.add_argument("--region", type=Path, required=True, help="region folder (see README: inputs contract)")
    p.add_argument(
        "--at", type=_moment, default=None, help="judge the deadlines at this date, YYYY-MM-DD UTC (default: now)"
    )
    p.set_defaults(handler=lambda args: status(args.region, at=args.at))


def region_status(
    region_dir: str | Path, instance: dg.DagsterInstance, at: datetime | None = None, echo: Callable = print
) -> int:
    """Print the health summary of the region in `instance`; 0 when ok, 1 when anything is overdue or failing."""
    defs = build_definitions(region_dir)
    region = defs.resources["region"].config
    monitored = monitored_assets(region.districts_path.is_file())
    check_keys = defs.resolve_asset_graph().asset_check_keys
    summary = health_summary(instance, region, monitored, check_keys, at or datetime.now(UTC))
    for line in summary.lines():
        echo(line)
    return 0 if summary.ok else 1


def status(region_dir: Path, at: datetime | None = None) -> int:
    from sacnn_dagster.cli.run import ensure_dagster_home

    home = ensure_dagster_home()
    with dg.DagsterInstance.from_config(str(home)) as instance:
        return region_status(region_dir, instance, at)
