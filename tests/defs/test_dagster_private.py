"""Dagster's private API is used in one module only, and each piece of it still exists and behaves as the
package uses it: a Dagster upgrade that moves or changes one fails here, naming it."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import dagster as dg

import sacnn_dagster
from sacnn_dagster.defs import dagster_private as private

PACKAGE = Path(sacnn_dagster.__file__).parent
PRIVATE_IMPORT = re.compile(r"^\s*(from|import)\s+dagster\._", re.M)


def test_no_private_dagster_import_outside_its_module():
    offenders = [
        path.relative_to(PACKAGE).as_posix()
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "dagster_private.py" and PRIVATE_IMPORT.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
    assert PRIVATE_IMPORT.search(Path(private.__file__).read_text(encoding="utf-8"))


def test_every_private_name_says_why_no_public_api_serves():
    exported = set(private.__all__) - {"WHY"}
    assert exported == set(private.WHY)
    assert all(len(reason) > 40 for reason in private.WHY.values())
    for name in exported:
        assert getattr(private, name) is not None, name
        # still private: once Dagster exports one publicly, use that instead
        assert not hasattr(dg, name), f"dagster now exports {name}: import it from dagster instead"


def test_range_run_tags_are_dagsters_own():
    assert private.ASSET_PARTITION_RANGE_START_TAG == "dagster/asset_partition_range_start"
    assert private.ASSET_PARTITION_RANGE_END_TAG == "dagster/asset_partition_range_end"
    assert private.BACKFILL_ID_TAG == "dagster/backfill"


def test_check_evaluation_takes_the_materialization_it_judges():
    data = private.AssetCheckEvaluationTargetMaterializationData(storage_id=1, run_id="r", timestamp=1.0)
    evaluation = dg.AssetCheckEvaluation(
        asset_key=dg.AssetKey("a"), check_name="c", passed=True, target_materialization_data=data
    )
    assert evaluation.target_materialization_data == data


def test_backfill_api_as_used_by_the_cli():
    status = private.BulkActionStatus
    for name in ("COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED", "REQUESTED"):
        assert hasattr(status, name), name
    assert status.COMPLETED_SUCCESS in private.BULK_ACTION_TERMINAL_STATUSES
    assert status.REQUESTED not in private.BULK_ACTION_TERMINAL_STATUSES
    assert dg.DagsterRunStatus.STARTED in private.NOT_FINISHED_STATUSES
    assert dg.DagsterRunStatus.SUCCESS not in private.NOT_FINISHED_STATUSES
    params = inspect.signature(private.PartitionBackfill.from_asset_graph_subset).parameters
    for name in (
        "backfill_id",
        "backfill_timestamp",
        "tags",
        "dynamic_partitions_store",
        "asset_graph_subset",
        "title",
        "description",
        "run_config",
    ):
        assert name in params, name
    assert isinstance(private.make_new_backfill_id(), str)
    key = private.AssetKeyPartitionKey(dg.AssetKey("a"), "2020-01")
    assert (key.asset_key, key.partition_key) == (dg.AssetKey("a"), "2020-01")
    subset = private.AssetGraphSubset(partitions_subsets_by_asset_key={}, non_partitioned_asset_keys=set())
    assert subset.is_empty and subset.num_partitions_and_non_partitioned_assets == 0


def test_daemon_api_as_used_by_the_backfill_daemon():
    from sacnn_dagster.cli.backfill import BACKFILL_TICK_S, QuickBackfillDaemon

    daemon = QuickBackfillDaemon(interval_seconds=BACKFILL_TICK_S)
    assert daemon.interval_seconds == BACKFILL_TICK_S and daemon.daemon_type() == "BACKFILL"
    assert list(inspect.signature(private.execute_backfill_iteration).parameters)[:2] == [
        "workspace_process_context",
        "logger",
    ]
    params = inspect.signature(private.daemon_controller_from_instance).parameters
    assert {"instance", "workspace_load_target", "gen_daemons", "log_level"} <= set(params)
    assert private.QueuedRunCoordinatorDaemon.daemon_type() == "QUEUED_RUN_COORDINATOR"
    target = private.ModuleTarget("sacnn_dagster.definitions", None, ".", "sacnn_dagster")
    assert target.module_name == "sacnn_dagster.definitions"
    assert callable(private.capture_interrupts) and callable(private.setup_interrupt_handlers)
