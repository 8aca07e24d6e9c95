"""`backfill_region`: every asset of a region for a range of months, as Dagster asset backfills, carrying on
without the months that fail (see the package's docstring)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

import dagster as dg

from sacnn_dagster.cli.backfill.cancel import finish_cancel, request_cancel
from sacnn_dagster.cli.backfill.daemon import DaemonForInstance
from sacnn_dagster.cli.backfill.follow import follow
from sacnn_dagster.cli.backfill.launch import launch_backfill, target_subset
from sacnn_dagster.cli.backfill.report import BackfillReport
from sacnn_dagster.cli.run import months_with_composite
from sacnn_dagster.config.region import load_region
from sacnn_dagster.defs.asset_keys import RegionKeys
from sacnn_dagster.defs.catalogue.location import CatalogueRegion
from sacnn_dagster.defs.code_location import build_definitions, default_storage_root
from sacnn_dagster.defs.dagster_private import AssetKeyPartitionKey, BulkActionStatus
from sacnn_dagster.nightlights.preflight import check_region


def backfill_region(
    region_dir: str | os.PathLike,
    start: str | None = None,
    end: str | None = None,
    storage_root: str | None = None,
    *,
    progress: TextIO = sys.stderr,
    echo: Callable[[str], None] = print,
    instance: dg.DagsterInstance | None = None,
    member: CatalogueRegion | None = None,
) -> BackfillReport:
    """Backfill every asset of the region for the months from `start` to `end` that have a composite, as
    Dagster asset backfills executed by a daemon; carry on without the months that fail. `member`: the region
    as its catalogue serves it (its keys, and the code location the daemon loads)."""
    region_dir = Path(region_dir).resolve()
    root = storage_root or default_storage_root(load_region(region_dir).name)
    # the daemon and its runs are other processes, maybe in another folder: a local root must be absolute
    root = root if root.startswith("s3://") else str(Path(root).resolve())
    instance = instance or dg.DagsterInstance.get()
    defs = build_definitions(region_dir, root, member.keys if member else RegionKeys())
    asset_graph = defs.resolve_asset_graph()
    months, missing = months_with_composite(defs, start, end)
    region = defs.resources["region"]
    check_region(region.nightlights, region.boundary.bounds, months)  # bad input: refused before any run
    report = BackfillReport(months, missing)
    if missing:
        echo(f"No composite yet for {len(missing)} month(s), left out: {', '.join(missing)}")
    if not months:
        raise ValueError("no month in that range has a composite: nothing to backfill")
    done: set[AssetKeyPartitionKey] = set()
    following: list[str] = []  # the backfill in progress, canceled if the command is stopped
    daemon = DaemonForInstance(instance, region_dir, root, echo, member.environment() if member else None)
    try:
        with daemon:
            try:
                _backfill_months(instance, asset_graph, months, report, done, following, daemon, progress, echo)
            except KeyboardInterrupt:
                for backfill_id in following:
                    request_cancel(instance, backfill_id)
                raise
    except KeyboardInterrupt:
        for backfill_id in following:  # the daemon started here is stopped: no one else ends the cancel
            finish_cancel(instance, backfill_id, runs_dead=daemon.started)
        raise
    monthly = [key for key in asset_graph.materializable_asset_keys if asset_graph.get(key).partitions_def]
    report.months_done = [m for m in months if all(AssetKeyPartitionKey(key, m) in done for key in monthly)]
    return report


def _backfill_months(instance, asset_graph, months, report, done, following, daemon, progress, echo) -> None:
    """Backfills of what is left, until nothing is or no month failed anew (see `backfill_region`)."""
    daemon.ensure()  # before launching: the daemon takes seconds to start, the launch does not
    title = f"sacnn-dagster backfill {months[0]}..{months[-1]}"
    while True:
        subset = target_subset(asset_graph, [m for m in months if m not in report.failed_months], done)
        if subset.is_empty:
            break
        backfill_id = launch_backfill(instance, asset_graph, subset, title)
        following[:] = [backfill_id]
        echo(
            f"Backfill {backfill_id} ({title}): {subset.num_partitions_and_non_partitioned_assets} asset "
            "partitions; the UI shows it under Overview > Backfills"
        )
        outcome = follow(instance, asset_graph, backfill_id, progress, daemon)
        new_failures = {m: c for m, c in outcome.failed_months.items() if m not in report.failed_months}
        report.backfills.append(outcome)
        done |= outcome.materialized
        echo(
            f"Backfill {backfill_id}: {outcome.status_words}"
            + (f"; failed month(s): {', '.join(sorted(new_failures))}" if new_failures else "")
        )
        if outcome.status != BulkActionStatus.COMPLETED_FAILED or not new_failures or outcome.errors:
            break
        without = ", ".join(sorted(report.failed_months))
        title = f"sacnn-dagster backfill {months[0]}..{months[-1]} without {without}"
        echo("Carrying on with the other months in a new backfill")
