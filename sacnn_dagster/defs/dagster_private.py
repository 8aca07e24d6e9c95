"""Every piece of Dagster's private API (`dagster._...`) the project uses, in one place, each with why no
public API serves (`WHY`). Nothing else in the package imports `dagster._`: tests/defs/test_dagster_private.py
checks that, and that every name still exists and behaves as used, so that a Dagster upgrade that moves one
fails there, loudly, and not in the middle of a run. Nothing here or elsewhere overwrites Dagster's state.
"""

from __future__ import annotations

from dagster._core.definitions.asset_checks.asset_check_evaluation import (
    AssetCheckEvaluationTargetMaterializationData,
)
from dagster._core.definitions.assets.graph.asset_graph_subset import AssetGraphSubset
from dagster._core.definitions.events import AssetKeyPartitionKey
from dagster._core.execution.backfill import BULK_ACTION_TERMINAL_STATUSES, BulkActionStatus, PartitionBackfill
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus
from dagster._core.storage.dagster_run import NOT_FINISHED_STATUSES
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG, BACKFILL_ID_TAG
from dagster._core.utils import make_new_backfill_id
from dagster._core.workspace.load_target import ModuleTarget
from dagster._daemon.backfill import execute_backfill_iteration
from dagster._daemon.controller import daemon_controller_from_instance
from dagster._daemon.daemon import IntervalDaemon
from dagster._daemon.run_coordinator.queued_run_coordinator_daemon import QueuedRunCoordinatorDaemon
from dagster._utils.interrupts import capture_interrupts, setup_interrupt_handlers

_RANGE_RUN = (
    "a run over a range of partitions (single-run backfill policy) is marked by these tags, as Dagster's own "
    "backfills and the UI mark it; `JobDefinition.execute_in_process` and `RunRequest` take one partition key"
)
_BACKFILL = (
    "an asset backfill added and followed the way the UI's 'Materialize all' does (GraphQL "
    "`launchPartitionBackfill` ends in `PartitionBackfill.from_asset_graph_subset` + `instance.add_backfill`): "
    "Dagster has no public Python API to add a backfill or read its progress"
)
_DAEMON = (
    "a daemon for one backfill with only the backfill and run-queue daemons, looking every 2 s instead of the "
    "30 s module constant of Dagster's backfill loop: `dagster-daemon run` can choose neither"
)

#: name -> why no public API serves.
WHY = {
    "ASSET_PARTITION_RANGE_START_TAG": _RANGE_RUN,
    "ASSET_PARTITION_RANGE_END_TAG": _RANGE_RUN,
    "AssetCheckEvaluationTargetMaterializationData": (
        "ties a check's result to the materialization it judges: `AssetCheckEvaluation` takes it, `dagster` "
        "does not export its type"
    ),
    "AssetCheckExecutionRecordStatus": (
        "whether a recorded check execution has finished (succeeded or failed): the freshness sensor reads each "
        "month's latest result from the instance's check history, whose record status type is not exported"
    ),
    "AssetGraphSubset": _BACKFILL,
    "AssetKeyPartitionKey": _BACKFILL,
    "BULK_ACTION_TERMINAL_STATUSES": _BACKFILL,
    "BulkActionStatus": _BACKFILL,
    "PartitionBackfill": _BACKFILL,
    "NOT_FINISHED_STATUSES": _BACKFILL,
    "BACKFILL_ID_TAG": _BACKFILL,
    "make_new_backfill_id": _BACKFILL,
    "ModuleTarget": _DAEMON,
    "execute_backfill_iteration": _DAEMON,
    "daemon_controller_from_instance": _DAEMON,
    "IntervalDaemon": _DAEMON,
    "QueuedRunCoordinatorDaemon": _DAEMON,
    "capture_interrupts": _DAEMON,
    "setup_interrupt_handlers": _DAEMON,
}

__all__ = [
    "ASSET_PARTITION_RANGE_END_TAG",
    "ASSET_PARTITION_RANGE_START_TAG",
    "BACKFILL_ID_TAG",
    "BULK_ACTION_TERMINAL_STATUSES",
    "NOT_FINISHED_STATUSES",
    "WHY",
    "AssetCheckEvaluationTargetMaterializationData",
    "AssetCheckExecutionRecordStatus",
    "AssetGraphSubset",
    "AssetKeyPartitionKey",
    "BulkActionStatus",
    "IntervalDaemon",
    "ModuleTarget",
    "PartitionBackfill",
    "QueuedRunCoordinatorDaemon",
    "capture_interrupts",
    "daemon_controller_from_instance",
    "execute_backfill_iteration",
    "make_new_backfill_id",
    "setup_interrupt_handlers",
]
