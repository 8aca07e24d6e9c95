"""`sacnn-dagster status --region DIR` (`--regions DIR`: each region of a catalogue, cli/regions.py): the
region's health from the Dagster instance at $DAGSTER_HOME (default ./.dagster_home), for a person, cron or a
Kubernetes probe. Per monitored asset the newest month built, the months missing, the months whose build failed
and whether the month due is overdue; the checks failing with severity error; the last failed run. Exit status 0
when nothing is overdue or failing, 1 otherwise, 2 for a bad region folder."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

from sacnn_dagster.cli.regions import latest_estimate
from sacnn_dagster.cli.run import ensure_dagster_home
from sacnn_dagster.defs.asset_keys import RegionKeys
from sacnn_dagster.defs.code_location import build_definitions
from sacnn_dagster.defs.monitoring.freshness import monitored_assets
from sacnn_dagster.defs.monitoring.instance_state import health_summary
from sacnn_dagster.io.s3_catalogue import open_catalogue


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
    where = p.add_mutually_exclusive_group()  # one of them, or $SACNN_REGIONS (cli/main.py)
    where.add_argument("--region", type=Path, help="region folder (see README: inputs contract)")
    where.add_argument(  # a str: Path() would make s3://bucket/prefix s3:/bucket/prefix
        "--regions", help="a catalogue of region folders (or s3://bucket/prefix): each region's health and estimate"
    )
    p.add_argument("--only", nargs="+", default=None, metavar="NAME", help="with --regions: only these regions")
    p.add_argument("--storage", default=None, help="with --regions: the output root the regions were run with")
    p.add_argument(
        "--at", type=_moment, default=None, help="judge the deadlines at this date, YYYY-MM-DD UTC (default: now)"
    )
    p.set_defaults(handler=_handle)


def _handle(args) -> int:
    if args.regions is not None:
        return regions_status(args.regions, args.only, args.storage, at=args.at)
    return status(args.region, at=args.at)


def region_status(
    region_dir: str | Path,
    instance: dg.DagsterInstance,
    at: datetime | None = None,
    echo: Callable = print,
    keys: RegionKeys = RegionKeys(),
) -> int:
    """Print the health summary of the region in `instance` (its assets under `keys`); 0 when ok, 1 when anything
    is overdue or failing."""
    defs = build_definitions(region_dir, keys=keys)
    region = defs.resources["region"].config
    monitored = monitored_assets(region.districts_path.is_file())
    check_keys = defs.resolve_asset_graph().asset_check_keys
    summary = health_summary(instance, region, keys, monitored, check_keys, at or datetime.now(UTC))
    for line in summary.lines():
        echo(line)
    return 0 if summary.ok else 1


def status(region_dir: Path, at: datetime | None = None) -> int:
    home = ensure_dagster_home()
    with dg.DagsterInstance.from_config(str(home)) as instance:
        return region_status(region_dir, instance, at)


def regions_status(
    catalogue_dir: str | Path,
    only: list[str] | None = None,
    storage_root: str | None = None,
    at: datetime | None = None,
    echo: Callable[[str], None] = print,
) -> int:
    """Per region of the catalogue its health (as `status --region`) and latest estimate; 1 when any region is
    overdue or failing or any folder is bad."""
    catalogue = open_catalogue(catalogue_dir, only)  # a folder, or an s3:// catalogue read from its mirror
    home = ensure_dagster_home()
    worst = 0
    with dg.DagsterInstance.from_config(str(home)) as instance:
        for name, region in catalogue.regions.items():
            keys = RegionKeys.of_catalogue_region(name)
            worst = max(worst, region_status(region.root, instance, at or datetime.now(UTC), echo, keys))
            echo(f"Latest estimate: {latest_estimate(name, storage_root)}")
            echo("")
    for bad in catalogue.bad:
        echo(f"BAD REGION FOLDER {bad.line()}")
        worst = 1
    return worst
