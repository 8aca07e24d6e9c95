"""Canceling the backfill a stopped command was following (SIGTERM or Ctrl-C, cli/stopping.py): no new month
starts after a stop. The backfill is marked CANCELING first, as the UI's "Cancel" does, so that a daemon
still running (`dagster dev`'s) stops launching its runs and terminates those in progress; once the daemon
started here is stopped (its runs interrupted with it), a backfill still CANCELING with no run in
progress is marked CANCELED, since no daemon is left to do it."""

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


def finish_cancel(instance: dg.DagsterInstance, backfill_id: str) -> None:
    """Mark a CANCELING backfill CANCELED once none of its runs is in progress."""
    backfill = instance.get_backfill(backfill_id)
    if backfill is None or backfill.status != BulkActionStatus.CANCELING:
        return
    running = instance.get_runs_count(
        dg.RunsFilter(tags={BACKFILL_ID_TAG: backfill_id}, statuses=NOT_FINISHED_STATUSES)
    )
    if not running:
        instance.update_backfill(backfill.with_status(BulkActionStatus.CANCELED).with_end_timestamp(time.time()))
