"""What failed in a finished backfill, read from its failed runs' step failures."""

from __future__ import annotations

import dagster as dg

from sacnn_dagster.cli.errors import one_line, user_error
from sacnn_dagster.defs.common.monthly import FAILED_MONTHS
from sacnn_dagster.defs.dagster_private import BACKFILL_ID_TAG, PartitionBackfill


def backfill_failures(instance: dg.DagsterInstance, backfill: PartitionBackfill) -> tuple[dict[str, str], list[str]]:
    """(month -> "asset: cause", other failures) of a finished backfill: a monthly step names its failed
    months in the failure's metadata (defs/common/monthly.py); any other failure is told as it is."""
    failed_months: dict[str, str] = {}
    errors = [f"backfill {backfill.backfill_id}: {one_line(backfill.error.message)}"] if backfill.error else []
    runs = instance.get_runs(
        dg.RunsFilter(
            tags={BACKFILL_ID_TAG: backfill.backfill_id},
            statuses=[dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED],
        )
    )
    for run in runs:
        steps = instance.get_records_for_run(run.run_id, of_type=dg.DagsterEventType.STEP_FAILURE).records
        for record in steps:
            event = record.event_log_entry.dagster_event
            user = event.step_failure_data.user_failure_data
            months = user.metadata.get(FAILED_MONTHS) if user else None
            if months is not None:
                failed_months.update({m: f"{event.step_key}: {one_line(cause)}" for m, cause in months.value.items()})
            else:
                errors.append(f"{event.step_key} (run {run.run_id}): {user_error(event.step_failure_data.error)}")
        if not steps:
            errors.append(f"run {run.run_id} {run.status.value.lower()}: see its log in the UI")
    return failed_months, errors
