"""The asset checks in Dagster: every month of the small demo passes every check, each month keeps its
own result and measurements after a range run, a blocking check stops what follows in the same run, and
a warning does not."""

import shutil
from pathlib import Path

import dagster as dg
import numpy as np
import pytest
import rasterio
from dagster_graphql.test.utils import define_out_of_process_context, execute_dagster_graphql

import sacnn_dagster
from sacnn_dagster.config.limits import Limits
from sacnn_dagster.defs.code_location import FEATURES_JOB, build_definitions
from sacnn_dagster.defs.common.check_reporting import Check
from sacnn_dagster.defs.dagster_private import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG
from sacnn_dagster.defs.evaluation.checks import HELDOUT_R2
from sacnn_dagster.defs.features.checks import FACTORY_COUNT, PATCHES_COMPLETE
from sacnn_dagster.defs.outputs.checks import ESTIMATE_PLAUSIBLE, GRID_SUMS
from sacnn_dagster.defs.sources.checks import COMPOSITE_COVERAGE, COMPOSITE_VALID
from sacnn_dagster.nightlights.eog_names import parse_composite_name
from sacnn_dagster.quality.grid import GRID_SUM_TOLERANCE
from sacnn_dagster.quality.model import MIN_HELD_OUT_LABELS

PARTITION_STATUSES = """
query ($path: [String!]!) {
  assetNodeOrError(assetKey: {path: $path}) {
    ... on AssetNode { assetChecksOrError { ... on AssetChecks { checks {
      name blocking
      partitionStatuses { ... on AssetCheckTimePartitionStatuses { ranges { startKey endKey status } } }
    } } } }
  }
}"""

MONTHLY_CHECKS = (
    COMPOSITE_VALID,
    COMPOSITE_COVERAGE,
    FACTORY_COUNT,
    PATCHES_COMPLETE,
    ESTIMATE_PLAUSIBLE,
    GRID_SUMS,
)


@pytest.fixture(scope="module")
def checked_demo(materialized_small_demo):
    """The small demo run end to end once, every check with it."""
    done = materialized_small_demo
    with dg.DagsterInstance.from_config(str(done.home)) as instance:
        yield instance, build_definitions(done.region, str(done.storage))


def check_state(instance, check: Check, partitions) -> dict[str, set[str]]:
    """Months per resolved status, as the UI's partition bar of the check shows them."""
    state = instance.event_log_storage.get_asset_check_state([(check.key(), partitions)])[check.key()]
    return {status.value: set(subset.value.get_partition_keys()) for status, subset in state.subsets.items()}


def evaluations(instance, key: dg.AssetCheckKey) -> dict[str | None, dict]:
    """Latest evaluation of each month: passed, severity, description and metadata values."""
    out = {}
    for record in instance.event_log_storage.get_asset_check_execution_history(key, limit=1000):
        evaluation = record.event.dagster_event.event_specific_data
        out.setdefault(
            record.partition,
            {
                "passed": evaluation.passed,
                "severity": evaluation.severity,
                "blocking": evaluation.blocking,
                "description": evaluation.description,
                **{k: v.value for k, v in evaluation.metadata.items()},
            },
        )
    return out


def test_every_check_passes_on_every_month_of_the_demo(checked_demo):
    instance, defs = checked_demo
    partitions = defs.resolve_assets_def("ntl_composite").partitions_def
    months = set(partitions.get_partition_keys())
    assert len(months) == 30
    for check in MONTHLY_CHECKS:
        # one current result per month (it judges the month's latest materialization), all passed
        state = check_state(instance, check, partitions)
        assert state["SUCCEEDED"] == months, check.name
        assert not state["FAILED"] and not state["IN_PROGRESS"] and not state["EXECUTION_FAILED"], check.name
        # and each month's evaluation carries what was measured, as numbers the UI can show
        by_month = evaluations(instance, check.key())
        assert set(by_month) == months
        assert all(e["passed"] and e["blocking"] == check.blocking for e in by_month.values()), check.name
    composite = evaluations(instance, COMPOSITE_VALID.key())["2020-03"]
    assert composite["share_without_radiance"] == 0.0 and composite["pixels_out_of_range"] == 0
    assert -1.5 <= composite["radiance_min"] < composite["radiance_max"] < 1e5
    assert 0 < evaluations(instance, COMPOSITE_COVERAGE.key())["2020-03"]["share_observed"] <= 1
    counts = evaluations(instance, FACTORY_COUNT.key())
    assert counts["2020-05"]["snapshot"] == "2020-05" and counts["2020-05"]["previous_snapshot"] == "2019-07"
    assert 0 < counts["2020-05"]["relative_change"] <= Limits().max_factory_count_change
    assert counts["2019-07"]["previous_month"] is None  # the first month has nothing to compare with
    patches = evaluations(instance, PATCHES_COMPLETE.key())["2021-12"]
    assert patches["factories"] == patches["patch_rows"] > 100 and patches["factories_without_patch"] == 0
    estimates = evaluations(instance, ESTIMATE_PLAUSIBLE.key())
    judged = {m for m, e in estimates.items() if e["ratio_to_median"] is not None}
    assert judged == {m for m in months if m >= "2020-01"}  # six earlier months with an estimate
    assert all(0.8 < estimates[m]["ratio_to_median"] < 1.25 for m in judged)
    grid = evaluations(instance, GRID_SUMS.key())["2021-06"]
    assert grid["relative_error"] <= GRID_SUM_TOLERANCE and grid["grid_sum"] == pytest.approx(grid["estimate"])


def test_heldout_r2_is_checked_after_retraining(checked_demo):
    instance, _ = checked_demo
    r2 = evaluations(instance, dg.AssetCheckKey(dg.AssetKey("model_evaluation"), HELDOUT_R2.name))[None]
    assert r2["passed"] and r2["floor"] == Limits().r2_floor
    assert r2["time_held_out_labels"] == 12 and r2["time_r2"] >= Limits().r2_floor
    assert r2["random_held_out_labels"] < MIN_HELD_OUT_LABELS  # reported, not judged
    assert "sacnn held-out R²: time" in r2["description"]


def reprocess(region: Path, month: str, change) -> None:
    """Drop a reprocessed version of `month` (newer stamp, so it is the one chosen) into the region, its
    radiance and cf_cvg arrays passed through `change`."""
    y, m = month.split("-")
    old = next((region / "nightlights").rglob(f"SVDNB_npp_{y}{m}01-*.avg_rade9h.tif"))
    stamp = parse_composite_name(old.name).stamp
    new_stamp = f"{int(y) + 1}{m}010000"  # a year after the month: newer than its first release
    for layer in ("avg_rade9h", "cf_cvg"):
        src = old.with_name(old.name.replace("avg_rade9h", layer))
        with rasterio.open(src) as ds:
            profile, data = ds.profile, ds.read(1)
        with rasterio.open(src.with_name(src.name.replace(stamp, new_stamp)), "w", **profile) as dst:
            dst.write(change(layer, data), 1)


def copy_region(small_demo_region, tmp_path) -> Path:
    region = tmp_path / "region"
    shutil.copytree(small_demo_region, region)
    return region


def test_blocking_check_stops_downstream_in_the_same_run(small_demo_region, tmp_path, instance):
    """A reprocessed file with an undeclared fill value (-999) in a block: cleaning would turn it into
    dark pixels. composite_valid fails for that month and ntl_clean never starts in the run."""
    region = copy_region(small_demo_region, tmp_path)

    def fill_block(layer, data):
        if layer == "avg_rade9h":
            h, w = data.shape
            data[h // 3 : h // 2, w // 3 : 2 * w // 3] = -999.0  # the middle of the file: inside the area
        return data

    reprocess(region, "2019-09", fill_block)
    defs = build_definitions(region, str(tmp_path / "out"))
    result = defs.resolve_job_def(FEATURES_JOB).execute_in_process(
        instance=instance,
        raise_on_error=False,
        tags={ASSET_PARTITION_RANGE_START_TAG: "2019-08", ASSET_PARTITION_RANGE_END_TAG: "2019-10"},
    )
    assert not result.success
    by_month = {e.partition: e for e in result.get_asset_check_evaluations() if e.check_name == "composite_valid"}
    assert sorted(by_month) == ["2019-08", "2019-09", "2019-10"]
    bad = by_month.pop("2019-09")
    assert not bad.passed and bad.blocking and bad.severity == dg.AssetCheckSeverity.ERROR
    assert bad.metadata["radiance_min"].value == -999.0 and bad.metadata["pixels_out_of_range"].value > 0
    assert all(e.passed for e in by_month.values())
    # the composites were stored and judged; nothing downstream ran, for any month of the run
    assert instance.get_materialized_partitions(dg.AssetKey("ntl_composite")) == {"2019-08", "2019-09", "2019-10"}
    started = {e.step_key for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_START}
    assert "ntl_clean" not in started and "factory_patches" not in started
    assert not instance.get_materialized_partitions(dg.AssetKey("ntl_clean"))
    failure = next(e for e in result.all_events if e.is_step_failure and e.step_key == "ntl_composite")
    message = failure.step_failure_data.error.message
    assert "composite_valid 2019-09" in message and "outside -1.5..100000" in message and "2019-08" not in message


def test_a_warning_does_not_block_and_the_ui_shows_the_month(small_demo_region, tmp_path, instance, monkeypatch):
    """A month seen under clouds everywhere (cf_cvg all 0) in a range run: composite_coverage warns for
    that month only, every month goes on, and the UI's partition bar of the check shows which month."""
    region = copy_region(small_demo_region, tmp_path)
    reprocess(region, "2019-10", lambda layer, data: np.zeros_like(data) if layer == "cf_cvg" else data)
    defs = build_definitions(region, str(tmp_path / "out"))
    job = defs.resolve_job_def(FEATURES_JOB)
    result = job.execute_in_process(
        instance=instance, tags={ASSET_PARTITION_RANGE_START_TAG: "2019-09", ASSET_PARTITION_RANGE_END_TAG: "2019-11"}
    )
    assert result.success
    assert instance.get_materialized_partitions(dg.AssetKey("factory_patches")) == {"2019-09", "2019-10", "2019-11"}
    coverage = {e.partition: e for e in result.get_asset_check_evaluations() if e.check_name == "composite_coverage"}
    assert [m for m, e in sorted(coverage.items()) if not e.passed] == ["2019-10"]
    assert coverage["2019-10"].severity == dg.AssetCheckSeverity.WARN
    assert coverage["2019-10"].metadata["share_observed"].value == 0.0

    # what the UI reads: the check's partition statuses through the webserver's GraphQL schema
    monkeypatch.setenv("SACNN_REGION", str(region))
    monkeypatch.setenv("SACNN_STORAGE", str(tmp_path / "out"))
    definitions = str(Path(sacnn_dagster.__file__).with_name("definitions.py"))
    with define_out_of_process_context(definitions, None, instance) as ctx:
        answer = execute_dagster_graphql(ctx, PARTITION_STATUSES, {"path": ["ntl_composite"]})
    by_name = {c["name"]: c for c in answer.data["assetNodeOrError"]["assetChecksOrError"]["checks"]}
    assert by_name["composite_coverage"]["partitionStatuses"]["ranges"] == [
        {"startKey": "2019-09", "endKey": "2019-09", "status": "SUCCEEDED"},
        {"startKey": "2019-10", "endKey": "2019-10", "status": "FAILED"},
        {"startKey": "2019-11", "endKey": "2019-11", "status": "SUCCEEDED"},
    ]
    assert by_name["composite_valid"]["blocking"] and not by_name["composite_coverage"]["blocking"]

    # a single-month run (the runner redoing a month, a sensor's request) reports its month the same way
    again = job.execute_in_process(instance=instance, partition_key="2019-10")
    warned = next(e for e in again.get_asset_check_evaluations() if e.check_name == "composite_coverage")
    assert warned.partition == "2019-10" and not warned.passed
    state = check_state(instance, COMPOSITE_COVERAGE, defs.resolve_assets_def("ntl_composite").partitions_def)
    assert state["FAILED"] == {"2019-10"} and state["SUCCEEDED"] == {"2019-09", "2019-11"}
