"""The sensors' decisions, evaluated directly (`build_sensor_context`) against a real instance and a copy of
the small demo region: what a first look requests, what a second look requests (nothing), a reprocessed
month, a new POI snapshot, a revised statistics value; and the incremental listing under them. The same
sensors under a real daemon: tests/test_sensors_daemon.py."""

from __future__ import annotations

import os
import shutil
import time
from datetime import UTC
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.test_utils import create_run_for_test

from sacnn_dagster.config.region import load_region
from sacnn_dagster.defs.automation.run_tags import REASON_TAG, THEN_TAG
from sacnn_dagster.defs.automation.settings import AUTOMATION_ENV, default_status
from sacnn_dagster.defs.code_location import build_definitions
from sacnn_dagster.defs.dagster_private import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG
from sacnn_dagster.defs.jobs import REGION_TAG
from sacnn_dagster.defs.resources import CredentialsResource, RegionResource
from sacnn_dagster.io.input_folder import LocalFolder
from sacnn_dagster.versioning.source_scan import FolderIndex, MonthVersionWatcher, VersionCursor, run_key
from sacnn_dagster.versioning.versions import code_digest, content_digest, range_data_version

REPROCESSED_STAMP = "c209912312359"


@pytest.fixture
def region(small_demo_region, tmp_path) -> Path:
    copy = tmp_path / "region"
    shutil.copytree(small_demo_region, copy)
    return copy


def resources(region: Path) -> dict:
    return {"region": RegionResource(path=str(region), credentials=CredentialsResource())}


def evaluate(defs: dg.Definitions, name: str, instance, region: Path, cursor: str | None = None):
    with dg.build_sensor_context(instance=instance, cursor=cursor, resources=resources(region)) as context:
        return defs.resolve_sensor_def(name)(context)


def composite_files(region: Path, month: str) -> list[Path]:
    compact = month.replace("-", "")
    return sorted(p for p in (region / "nightlights").rglob(f"SVDNB_*_{compact}01-*") if p.is_file())


def reprocess(region: Path, month: str) -> str:
    """A newer processing stamp of `month` next to the old one, as EOG publishes a reprocessed month."""
    for path in composite_files(region, month):
        stamp = path.name.split("_v10_")[1].split(".")[0]
        shutil.copy(path, path.with_name(path.name.replace(stamp, REPROCESSED_STAMP)))
    return REPROCESSED_STAMP


def report_built(instance, asset: str, months: list[str], metadata) -> None:
    """Record that `asset` was built for `months` with `metadata(month)`, as a run would have."""
    for month in months:
        instance.report_runless_asset_event(
            dg.AssetMaterialization(asset_key=asset, partition=month, metadata=metadata(month))
        )


def stretches(requests) -> list[tuple[str, str]]:
    return [(r.tags[ASSET_PARTITION_RANGE_START_TAG], r.tags[ASSET_PARTITION_RANGE_END_TAG]) for r in requests]


def age(root: Path, seconds: float = 60) -> None:
    """Directories as if written a while ago (a fresh directory is re-listed: its mtime may still move)."""
    then = time.time() - seconds
    for path in [root, *(p for p in root.rglob("*") if p.is_dir())]:
        os.utime(path, (then, then))


# --- incremental listing --------------------------------------------------------------------------------


def test_folder_index_lists_what_local_folder_lists_and_relists_only_changed_directories(region):
    folder = region / "nightlights"
    age(folder)
    index = FolderIndex(folder)
    assert index.refresh() is True
    assert index.files == LocalFolder(folder).list_files()
    directories = index.last_listed
    assert directories > 30  # root, years, months, config folders

    assert index.refresh() is False
    assert index.last_listed == 0  # nothing re-read: one stat per directory

    month_dir = composite_files(region, "2020-06")[0].parent
    (month_dir / "notes.txt").write_text("not a composite")
    assert index.refresh() is True
    assert index.last_listed == 1
    assert f"{month_dir.relative_to(folder).as_posix()}/notes.txt" in index.files

    shutil.rmtree(folder / "2019")
    assert index.refresh() is True
    assert not any(f.startswith("2019/") for f in index.files)
    assert index.files == LocalFolder(folder).list_files()


def test_folder_index_does_not_follow_directory_links_and_names_a_missing_folder(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "a.tif").write_text("x")
    (tmp_path / "link").symlink_to(tmp_path / "real", target_is_directory=True)
    index = FolderIndex(tmp_path)
    index.refresh()
    assert index.files == LocalFolder(tmp_path).list_files() == ["real/a.tif"]
    with pytest.raises(FileNotFoundError, match="nowhere"):
        FolderIndex(tmp_path / "nowhere").refresh()


def test_watcher_gives_the_source_versions_and_sees_a_reprocessed_month(region):
    age(region / "nightlights")
    watcher = MonthVersionWatcher()
    source = RegionResource(path=str(region), credentials=CredentialsResource()).nightlights
    fresh = RegionResource(path=str(region), credentials=CredentialsResource()).nightlights.available_months()
    assert watcher.versions(source) == fresh and len(fresh) == 30
    assert watcher.versions(source) == fresh and watcher.last_listed == 0

    reprocess(region, "2020-06")
    versions = watcher.versions(source)
    assert REPROCESSED_STAMP in versions["2020-06"]
    assert {m: v for m, v in versions.items() if m != "2020-06"} == {m: v for m, v in fresh.items() if m != "2020-06"}
    assert watcher.last_listed == 1


# --- cursors, run keys, versions -----------------------------------------------------------------------


def test_cursor_round_trip_changes_and_run_keys():
    versions = {"2020-01": "npp:a:c1", "2020-02": "npp:a:c2"}
    cursor = VersionCursor().with_known({"2020-01": "npp:a:c1"})
    assert cursor.changed(versions) == ["2020-02"]
    after = cursor.advanced(versions, ["2020-02"])
    assert after.generation == 1 and after.changed(versions) == []
    assert VersionCursor.decode(after.encode()) == after
    assert len(after.encode()) < 200  # stored with every tick: hashes, not versions
    assert VersionCursor.decode(None) is None

    assert run_key("composite", {"2020-02": "npp:a:c2"}, 3) == "composite 2020-02 npp:a:c2 #3"
    stretch = run_key("composite", versions, 3)
    assert stretch.startswith("composite 2020-01..2020-02 ") and stretch.endswith(" #3")
    assert run_key("composite", {**versions, "2020-02": "npp:a:c9"}, 3) != stretch


def test_range_data_version_is_the_month_version_when_shared_and_a_digest_otherwise():
    assert range_data_version(["2020-01"], ["npp:c1"]) == "npp:c1"
    assert range_data_version(["2020-01", "2020-02"], ["sha", "sha"]) == "sha"
    mixed = range_data_version(["2020-01", "2020-02"], ["c1", "c2"])
    assert mixed.startswith("2020-01..2020-02:") and mixed != range_data_version(["2020-01", "2020-02"], ["c1", "c3"])
    with pytest.raises(ValueError, match="one version per month"):
        range_data_version(["2020-01"], [])


def test_code_digest_follows_core_imports(tmp_path):
    # statistics.py imports csv_text.py (for decoding): a change to either is a change of the statistics code;
    # the models import the patches' feature columns: a change there is a change of the models' code
    assert code_digest("features.statistics") != code_digest("features.statistics", "features.cleaning")
    assert code_digest("features.statistics") == code_digest("features.statistics", "features.csv_text")
    assert code_digest("models") == code_digest("models", "models.suite", "features.patches")
    assert code_digest("models") != code_digest("models", "evaluation")
    with pytest.raises(ValueError, match="no_such_module"):
        code_digest("no_such_module")


def test_default_status_runs_for_demo_regions_unless_told(monkeypatch):
    monkeypatch.delenv(AUTOMATION_ENV, raising=False)
    assert default_status("demo-city") == dg.DefaultSensorStatus.RUNNING
    assert default_status("shanghai") == dg.DefaultSensorStatus.STOPPED
    monkeypatch.setenv(AUTOMATION_ENV, "stopped")
    assert default_status("demo-city") == dg.DefaultSensorStatus.STOPPED
    monkeypatch.setenv(AUTOMATION_ENV, "running")
    assert default_status("shanghai") == dg.DefaultSensorStatus.RUNNING
    monkeypatch.setenv(AUTOMATION_ENV, "yes")
    with pytest.raises(ValueError, match=AUTOMATION_ENV):
        default_status("demo-city")


# --- the sensors ----------------------------------------------------------------------------------------


def test_nightlight_sensor_first_look_is_one_range_run_per_stretch_then_nothing(region, instance, tmp_path):
    held = {path: tmp_path / path.name for path in composite_files(region, "2020-03")}
    for path, aside in held.items():
        path.rename(aside)  # not published yet: a gap, so two stretches
    defs = build_definitions(region, str(tmp_path / "out"))
    result = evaluate(defs, "nightlight_sensor", instance, region)
    assert stretches(result.run_requests) == [("2019-07", "2020-02"), ("2020-04", "2021-12")]
    assert all(r.tags[THEN_TAG] == "estimate" and "composite" in r.tags[REASON_TAG] for r in result.run_requests)

    again = evaluate(defs, "nightlight_sensor", instance, region, cursor=result.cursor)
    assert not again.run_requests and "none new or reprocessed" in again.skip_reason.skip_message

    # the composite arrives late: that month alone, its run key carrying its version
    for path, aside in held.items():
        aside.rename(path)
    late = evaluate(defs, "nightlight_sensor", instance, region, cursor=again.cursor)
    (request,) = late.run_requests
    assert stretches([request]) == [("2020-03", "2020-03")]
    assert request.run_key.startswith("composite 2020-03 npp:75N060E:vcmcfg:c2020")


def test_nightlight_sensor_starts_from_what_the_instance_holds_and_reruns_only_a_reprocessed_month(
    region, instance, tmp_path
):
    defs = build_definitions(region, str(tmp_path / "out"))
    versions = RegionResource(path=str(region), credentials=CredentialsResource()).nightlights.available_months()
    report_built(instance, "ntl_composite", list(versions), lambda m: {"version": versions[m]})

    first = evaluate(defs, "nightlight_sensor", instance, region)
    assert not first.run_requests  # a materialized region starts nothing

    stamp = reprocess(region, "2021-02")
    result = evaluate(defs, "nightlight_sensor", instance, region, cursor=first.cursor)
    (request,) = result.run_requests
    assert stretches([request]) == [("2021-02", "2021-02")]
    assert stamp in request.run_key

    # the same file seen twice: touched, copied again, a stray file beside it
    for path in composite_files(region, "2021-02"):
        os.utime(path)
    (composite_files(region, "2021-02")[0].parent / "README").write_text("x")
    assert not evaluate(defs, "nightlight_sensor", instance, region, cursor=result.cursor).run_requests

    # a reprocessed month that someone else (the runner, a backfill) has already built starts nothing
    reprocess(region, "2021-03")
    new = RegionResource(path=str(region), credentials=CredentialsResource()).nightlights.available_months()
    report_built(instance, "ntl_composite", ["2021-03"], lambda m: {"version": new[m]})
    assert not evaluate(defs, "nightlight_sensor", instance, region, cursor=result.cursor).run_requests


def test_nightlight_sensor_leaves_months_in_progress_for_later(region, instance, tmp_path):
    defs = build_definitions(region, str(tmp_path / "out"))
    versions = RegionResource(path=str(region), credentials=CredentialsResource()).nightlights.available_months()
    report_built(instance, "ntl_composite", list(versions), lambda m: {"version": versions[m]})
    months = {ASSET_PARTITION_RANGE_START_TAG: "2021-01", ASSET_PARTITION_RANGE_END_TAG: "2021-03"}
    reprocess(region, "2021-02")
    started = dg.DagsterRunStatus.STARTED
    other = {**months, REGION_TAG: "another-region-of-the-catalogue"}  # a catalogue's regions share the instance
    create_run_for_test(instance, job_name="monthly_features", status=started, tags=other)
    assert evaluate(defs, "nightlight_sensor", instance, region).run_requests  # another region's months
    own = {**months, REGION_TAG: load_region(region).name}
    create_run_for_test(instance, job_name="monthly_features", status=started, tags=own)
    waiting = evaluate(defs, "nightlight_sensor", instance, region)
    assert not waiting.run_requests and "wait for a run in progress" in waiting.skip_reason.skip_message
    assert VersionCursor.decode(waiting.cursor).changed(
        RegionResource(path=str(region), credentials=CredentialsResource()).nightlights.available_months()
    ) == ["2021-02"]


def test_poi_sensor_rebuilds_the_months_a_new_snapshot_applies_to(region, instance, tmp_path):
    defs = build_definitions(region, str(tmp_path / "out"))
    snapshots = {"2019-07": "2019-07.csv", "2020-05": "2020-05.csv", "2021-03": "2021-03.csv"}
    built = [f"2021-{m:02d}" for m in range(1, 13)]
    report_built(instance, "factory_patches", built, lambda m: {})

    def in_force(month):
        snap = max(s for s in snapshots if s <= month)
        return {"snapshot": snap, "snapshot_sha256": content_digest(region / "pois" / snapshots[snap])}

    report_built(instance, "factories", built, in_force)
    first = evaluate(defs, "poi_sensor", instance, region)
    assert not first.run_requests

    text = (region / "pois" / "2021-03.csv").read_text(encoding="utf-8").splitlines()
    (region / "pois" / "2021-10.csv").write_text("\n".join(text[:-3]) + "\n", encoding="utf-8")
    result = evaluate(defs, "poi_sensor", instance, region, cursor=first.cursor)
    (request,) = result.run_requests
    assert stretches([request]) == [("2021-10", "2021-12")]
    assert {k.to_user_string() for k in request.asset_selection} == {"factories", "factory_patches"}
    assert not evaluate(defs, "poi_sensor", instance, region, cursor=result.cursor).run_requests


def test_statistics_sensor_sees_a_revised_value_not_a_touched_file(region, instance, tmp_path):
    defs = build_definitions(region, str(tmp_path / "out"))
    statistics = region / "statistics" / "gvio_monthly.csv"
    waiting = evaluate(defs, "statistics_sensor", instance, region)
    assert not waiting.run_requests and "waiting for monthly features" in waiting.skip_reason.skip_message

    report_built(instance, "factory_patches", ["2020-06"], lambda m: {})
    instance.report_runless_asset_event(
        dg.AssetMaterialization("gvio_statistics", tags={"dagster/data_version": content_digest(statistics)})
    )
    first = evaluate(defs, "statistics_sensor", instance, region)
    assert not first.run_requests and "unchanged" in first.skip_reason.skip_message

    os.utime(statistics, (time.time() + 5, time.time() + 5))
    assert not evaluate(defs, "statistics_sensor", instance, region, cursor=first.cursor).run_requests

    statistics.write_text(statistics.read_text().replace("2020-06,151.39", "2020-06,151.40"))
    result = evaluate(defs, "statistics_sensor", instance, region, cursor=first.cursor)
    (request,) = result.run_requests
    assert request.run_key.startswith(f"statistics {content_digest(statistics)[:16]}")
    assert request.tags[THEN_TAG] == "estimate_all"
    assert not evaluate(defs, "statistics_sensor", instance, region, cursor=result.cursor).run_requests


def test_monthly_catch_up_requests_what_is_not_built_in_its_current_version(region, instance, tmp_path):
    from datetime import datetime

    defs = build_definitions(region, str(tmp_path / "out"))
    versions = RegionResource(path=str(region), credentials=CredentialsResource()).nightlights.available_months()
    built = [m for m in versions if m != "2020-06"]  # a month whose run failed
    report_built(instance, "ntl_composite", built, lambda m: {"version": "older" if m == "2021-02" else versions[m]})
    report_built(instance, "factory_patches", built, lambda m: {})
    first_of_month = datetime(2026, 12, 1, 6, tzinfo=UTC)
    with dg.build_schedule_context(
        instance=instance, resources=resources(region), scheduled_execution_time=first_of_month
    ) as context:
        requests = defs.resolve_schedule_def("monthly_catch_up")(context)
    assert stretches(requests) == [("2020-06", "2020-06"), ("2021-02", "2021-02")]
    assert all(r.tags[THEN_TAG] == "estimate" and r.run_key.endswith("#2026-12-01") for r in requests)
