"""Canceling the backfill a stopped command was following (SIGTERM or Ctrl-C, cli/stopping.py): no new month
starts after a stop. The backfill is marked CANCELING first, as the UI's "Cancel" does, so that a daemon
still running (`dagster dev`'s) stops launching its runs and terminates those in progress; once the daemon
started here is stopped (within seconds, its runs with it: daemon.py), its runs still marked in progress
and the backfill are marked CANCELED, since no daemon is left to do it."""

from __future__ import annotations

import time

import dagster as dg

from sacnn_dagster.defs.dagster_private import (
    BACKFILL_ID_TAG,
    BULK_ACTION_TERMINAL_STATUSES,
    NOT_FINISHED_STATUSES,
    BulkActionStatus,
)


def request_cancel(instance: dg.DagsterInstance, backfill_id: str) -> None:
    """Mark the backfill CANCELING unless it has ended."""
    backfill = instance.get_backfill(backfill_id)
    if backfill is not None and backfill.status not in BULK_ACTION_TERMINAL_STATUSES:
        instance.update_backfill(backfill.with_status(BulkActionStatus.CANCELING))


def finish_cancel(instance: dg.DagsterInstance, backfill_id: str, runs_dead: bool) -> None:
    """Mark a CANCELING backfill CANCELED once none of its runs is in progress. With `runs_dead` (the daemon
    started here, and the runs with it, was stopped), its runs still marked in progress are marked CANCELED
    first: nothing executes them any more."""
    backfill = instance.get_backfill(backfill_id)
    if backfill is None or backfill.status != BulkActionStatus.CANCELING:
        return
    in_progress = dg.RunsFilter(tags={BACKFILL_ID_TAG: backfill_id}, statuses=NOT_FINISHED_STATUSES)
    if runs_dead:
        for record in instance.get_run_records(in_progress):
            instance.report_run_canceled(record.dagster_run, "the sacnn-dagster backfill command was stopped")
    if not instance.get_runs_count(in_progress):
        instance.update_backfill(backfill.with_status(BulkActionStatus.CANCELED).with_end_timestamp(time.time()))
