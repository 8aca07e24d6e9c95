"""Following a backfill to its end: its progress on a stream, a daemon kept on it, how it ended."""

from __future__ import annotations

import time
from typing import TextIO

import dagster as dg

from sacnn_dagster.cli.backfill.daemon import DaemonForInstance
from sacnn_dagster.cli.backfill.failures import backfill_failures
from sacnn_dagster.cli.backfill.progress import BackfillProgress
from sacnn_dagster.cli.backfill.report import BackfillOutcome
from sacnn_dagster.defs.dagster_private import BACKFILL_ID_TAG, BULK_ACTION_TERMINAL_STATUSES, NOT_FINISHED_STATUSES

#: Seconds between two looks at the backfill while following it.
POLL_S = 1.0


def follow(
    instance: dg.DagsterInstance, asset_graph, backfill_id: str, progress: TextIO, daemon: DaemonForInstance
) -> BackfillOutcome:
    """Watch the backfill until it ends, with a progress bar on `progress` and a daemon kept on it; how it
    ended."""
    with BackfillProgress(progress) as bar:
        while True:
            daemon.ensure()
            backfill = instance.get_backfill(backfill_id)
            data = backfill.get_asset_backfill_data(asset_graph)
            in_progress = instance.get_runs_count(
                dg.RunsFilter(tags={BACKFILL_ID_TAG: backfill_id}, statuses=NOT_FINISHED_STATUSES)
            )
            bar.update(
                data.materialized_subset.num_partitions_and_non_partitioned_assets,
                data.failed_and_downstream_subset.num_partitions_and_non_partitioned_assets,
                data.target_subset.num_partitions_and_non_partitioned_assets,
                in_progress,
            )
            if backfill.status in BULK_ACTION_TERMINAL_STATUSES:
                break
            time.sleep(POLL_S)
    failed_months, errors = backfill_failures(instance, backfill)
    return BackfillOutcome(
        backfill_id,
        backfill.status,
        set(data.materialized_subset.iterate_asset_partitions()),
        failed_months,
        errors,
    )
