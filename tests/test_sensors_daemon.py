"""The automation under a real `dagster-daemon run` process, as `make ui` runs it: the small demo region copied
to a temporary folder with two months' composites held back (published late), materialized once in process,
then one daemon for the module (restarted once) whose sensors react to files dropped into the region folder.
Every scenario waits until the daemon has launched and finished everything it is going to (no run unfinished,
none new for a few sensor ticks), then checks which runs there were and which partitions were built."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import pytest
from daemon_process import start_daemon, stop_daemon
from dagster._core.scheduler.instigation import InstigatorType, TickStatus
from test_sensors import composite_files, reprocess

from sacnn_dagster.cli.run import INSTANCE_YAML, run_region
from sacnn_dagster.defs.automation.run_tags import REASON_TAG
from sacnn_dagster.defs.automation.settings import AUTOMATION_ENV, INTERVAL_ENV
from sacnn_dagster.defs.dagster_private import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

#: Composites that arrive after the region was first materialized, out of order.
LATE = ("2021-12", "2020-03")
REPROCESSED = "2019-09"
SOURCE_SENSORS = ("nightlight_sensor", "poi_sensor", "statistics_sensor")
MONTHLY_ASSETS = (
    "ntl_composite",
    "ntl_clean",
    "factories",
    "factory_patches",
    "gvio_estimate",
    "gvio_grid",
    "gvio_by_district",
)
# The queue hands runs to the launcher every second instead of every five: seconds saved per chained run.
TEST_INSTANCE_YAML = (
    INSTANCE_YAML
    + """\
run_coordinator:
  module: dagster.core.run_coordinator
  class: QueuedRunCoordinator
  config:
    dequeue_interval_seconds: 1
"""
)
#: Seconds without a new or unfinished run after which the daemon is taken to have done all it will do:
#: more than two sensor-daemon iterations (at least 5 s each), so a chained sensor has had its turn.
QUIET_S = 12
TIMEOUT_S = 420


@dataclass
class Automation:
    root: Path
    region: Path
    storage: Path
    home: Path
    late: Path
    instance: dg.DagsterInstance
    daemon: subprocess.Popen | None = None
    seen_runs: set[str] = field(default_factory=set)

    @property
    def log(self) -> Path:
        return self.root / "daemon.log"

    def start(self) -> None:
        env = {
            "DAGSTER_HOME": str(self.home),
            "SACNN_REGION": str(self.region),
            "SACNN_STORAGE": str(self.storage),
            INTERVAL_ENV: "1",
            AUTOMATION_ENV: "running",
        }
        started = time.time()
        self.daemon = start_daemon(self.root, env, self.log)
        self.wait_until(lambda: len(self.ticks("nightlight_sensor", after=started)) >= 1, "the first sensor tick")

    def stop(self) -> None:
        stop_daemon(self.daemon)

    def ticks(self, sensor: str, after: float) -> list:
        states = self.instance.all_instigator_state(instigator_type=InstigatorType.SENSOR)
        state = next((s for s in states if s.instigator_name == sensor), None)
        if state is None:
            return []
        return list(self.instance.get_ticks(state.instigator_origin_id, state.selector_id, after=after))

    def report(self) -> str:
        lines = [f"{r.job_name} {r.status.value} {r.tags.get(REASON_TAG, '')}" for r in self.instance.get_runs()]
        tail = self.log.read_text(errors="replace").splitlines()[-40:] if self.log.exists() else []
        return "\nruns (newest first):\n" + "\n".join(lines) + "\ndaemon log:\n" + "\n".join(tail)

    def wait_until(self, condition: Callable[[], object], what: str, timeout: float = TIMEOUT_S):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.daemon is not None and self.daemon.poll() is not None:
                raise AssertionError(f"the daemon exited ({self.daemon.returncode}) waiting for {what}{self.report()}")
            value = condition()
            if value:
                return value
            time.sleep(1)
        raise AssertionError(f"{timeout} s without {what}{self.report()}")

    def new_runs(self, since: float) -> list[dg.DagsterRun]:
        """Runs launched since the last call, once every source sensor has looked after `since` (the time of
        the change under test) and the daemon has finished all it launched (oldest first)."""
        for sensor in SOURCE_SENSORS:
            self.wait_until(
                lambda s=sensor: any(t.status != TickStatus.STARTED for t in self.ticks(s, after=since)),
                f"a look by {sensor}",
            )

        def settled():
            records = self.instance.get_run_records()
            if any(not r.dagster_run.is_finished for r in records):
                return False
            last = max((r.end_time or r.create_timestamp.timestamp()) for r in records)
            return time.time() - last > QUIET_S

        self.wait_until(settled, "the daemon to finish its runs")
        runs = [r for r in reversed(self.instance.get_runs()) if r.run_id not in self.seen_runs]
        self.seen_runs.update(r.run_id for r in runs)
        return runs

    def latest(self) -> dict[str, dict[str, int]]:
        """asset -> partition ("" for an unpartitioned asset) -> storage id of its latest materialization."""
        out = {}
        for asset in MONTHLY_ASSETS:
            out[asset] = dict(
                self.instance.get_latest_storage_id_by_partition(
                    dg.AssetKey(asset), dg.DagsterEventType.ASSET_MATERIALIZATION
                )
            )
        for asset in ("gvio_model", "model_evaluation"):
            records = self.instance.fetch_materializations(dg.AssetKey(asset), limit=1).records
            out[asset] = {"": records[0].storage_id} if records else {}
        return out


def summary(runs: list[dg.DagsterRun]) -> list[tuple[str, str | None, str | None]]:
    return [
        (r.job_name, r.tags.get(ASSET_PARTITION_RANGE_START_TAG), r.tags.get(ASSET_PARTITION_RANGE_END_TAG))
        for r in runs
    ]


def rebuilt(before: dict, after: dict) -> dict[str, list[str]]:
    """asset -> partitions materialized again (or for the first time) between two `latest()`."""
    out = {}
    for asset, partitions in after.items():
        changed = sorted(p for p, n in partitions.items() if n != before.get(asset, {}).get(p, 0))
        if changed:
            out[asset] = changed
    return out


def drop_late(automation: Automation, month: str) -> None:
    for path in (automation.late / month).rglob("*"):
        if path.is_file():
            target = automation.region / "nightlights" / path.relative_to(automation.late / month)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target)


@pytest.fixture(scope="module")
def automation(small_demo_region, tmp_path_factory):
    root = tmp_path_factory.mktemp("automation")
    region, late, home = root / "region", root / "late", root / "home"
    shutil.copytree(small_demo_region, region)
    for month in LATE:
        for path in composite_files(region, month):
            aside = late / month / path.relative_to(region / "nightlights")
            aside.parent.mkdir(parents=True, exist_ok=True)
            path.rename(aside)
    home.mkdir()
    (home / "dagster.yaml").write_text(TEST_INSTANCE_YAML)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        report = run_region(region, storage_root=str(root / "out"), instance=instance, echo=lambda _: None)
        assert report.ok, report.failures
        automation = Automation(root, region, root / "out", home, late, instance)
        automation.seen_runs.update(report.run_ids)
        automation.start()
        try:
            yield automation
        finally:
            automation.stop()


def test_a_materialized_region_starts_nothing(automation):
    since = time.time()
    assert automation.new_runs(since) == []
    tick = automation.ticks("nightlight_sensor", after=since)[0]
    assert "28 month(s) with a composite, none new or reprocessed" in tick.skip_reason


def test_a_dropped_composite_is_materialized_downstream(automation):
    before = automation.latest()
    drop_late(automation, "2021-12")
    since = time.time()  # a look that starts later sees the file
    runs = automation.new_runs(since)
    assert summary(runs) == [("monthly_features", "2021-12", "2021-12"), ("monthly_outputs", "2021-12", "2021-12")]
    assert all(r.status == dg.DagsterRunStatus.SUCCESS for r in runs), automation.report()
    assert "new or reprocessed composite: 2021-12" == runs[0].tags[REASON_TAG]
    assert rebuilt(before, automation.latest()) == {asset: ["2021-12"] for asset in MONTHLY_ASSETS}


def test_a_reprocessed_file_reruns_that_month_only(automation):
    before = automation.latest()
    stamp = reprocess(automation.region, REPROCESSED)
    since = time.time()
    runs = automation.new_runs(since)
    assert summary(runs) == [
        ("monthly_features", REPROCESSED, REPROCESSED),
        ("monthly_outputs", REPROCESSED, REPROCESSED),
    ]
    assert stamp in runs[0].tags["dagster/run_key"]
    assert rebuilt(before, automation.latest()) == {asset: [REPROCESSED] for asset in MONTHLY_ASSETS}
    record = automation.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey("ntl_composite"), asset_partitions=[REPROCESSED]), limit=1
    ).records[0]
    version = record.asset_materialization.metadata["version"].value
    assert stamp in version and record.asset_materialization.tags["dagster/data_version"] == version


def test_the_same_file_seen_twice_starts_nothing_and_a_restart_misses_nothing(automation):
    before = automation.latest()
    for path in composite_files(automation.region, REPROCESSED):
        shutil.copy(path, path.with_suffix(".copy"))
        path.with_suffix(".copy").replace(path)  # the same file again, with a new time
    since = time.time()
    assert automation.new_runs(since) == []

    automation.stop()
    drop_late(automation, "2020-03")  # arrives while the daemon is down, two months after the latest
    since = time.time()
    automation.start()
    runs = automation.new_runs(since)
    assert summary(runs) == [("monthly_features", "2020-03", "2020-03"), ("monthly_outputs", "2020-03", "2020-03")]
    assert rebuilt(before, automation.latest()) == {asset: ["2020-03"] for asset in MONTHLY_ASSETS}


def test_a_new_statistics_value_retrains_and_estimates_every_month_again(automation):
    def model_version():
        event = automation.instance.get_latest_materialization_event(dg.AssetKey("gvio_model"))
        return event.asset_materialization.metadata["version"].value

    before, old_version = automation.latest(), model_version()
    statistics = automation.region / "statistics" / "gvio_monthly.csv"
    assert "\n2021-10," not in statistics.read_text()
    with statistics.open("a") as f:
        f.write("2021-10,170.52,1602.64\n")  # the month the demo's statistics left out, published late
    since = time.time()
    runs = automation.new_runs(since)
    assert summary(runs) == [
        ("retrain_model", None, None),
        ("monthly_outputs", "2019-07", "2021-12"),
        ("evaluate_model", None, None),
    ], automation.report()
    assert all(r.status == dg.DagsterRunStatus.SUCCESS for r in runs), automation.report()
    assert model_version() != old_version
    estimates = automation.instance.fetch_materializations(dg.AssetKey("gvio_estimate"), limit=30).records
    assert len({r.partition_key for r in estimates}) == 30
    assert {r.asset_materialization.metadata["model_version"].value for r in estimates} == {model_version()}
    every_month = sorted(before["gvio_estimate"])
    assert rebuilt(before, automation.latest()) == {
        "gvio_model": [""],
        "gvio_estimate": every_month,
        "gvio_grid": every_month,
        "gvio_by_district": every_month,
        "model_evaluation": [""],
    }
