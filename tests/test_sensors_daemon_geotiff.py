"""A re-exported GeoTIFF month under a real `dagster-daemon run` (`nightlights: {source: geotiff}`): the small demo's
night lights as Earth-Engine-style `YYYY-MM.tif` exports, the instance told that every month's composite is built
in its current version, then one month exported again under the same name. The nightlight sensor requests that
month alone, its run key carrying the new content digest. The instance launches no run (its queue holds them):
what is checked is what the daemon's sensor requests, in seconds rather than a run's minutes (the runs
themselves: tests/test_sensors_daemon.py)."""

from __future__ import annotations

import time

import dagster as dg
import pytest
from daemon_process import start_daemon, stop_daemon
from dagster._core.scheduler.instigation import InstigatorType, TickStatus

from sacnn_dagster.cli.run import INSTANCE_YAML
from sacnn_dagster.defs.automation.run_tags import REASON_TAG
from sacnn_dagster.defs.automation.settings import AUTOMATION_ENV, INTERVAL_ENV
from sacnn_dagster.defs.dagster_private import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG
from sacnn_dagster.defs.resources import CredentialsResource, RegionResource
from tests.nightlights.geotiff_exports import brighter, geotiff_region, rewrite

MONTH = "2021-02"
TIMEOUT_S = 120
#: Runs are queued and never launched: only the sensors' requests are under test.
HOLD_RUNS_YAML = INSTANCE_YAML + "run_queue:\n  max_concurrent_runs: 0\n"


def nightlight_ticks(instance: dg.DagsterInstance, after: float) -> list:
    states = instance.all_instigator_state(instigator_type=InstigatorType.SENSOR)
    state = next((s for s in states if s.instigator_name == "nightlight_sensor"), None)
    if state is None:
        return []
    ticks = instance.get_ticks(state.instigator_origin_id, state.selector_id, after=after)
    return [t for t in ticks if t.status != TickStatus.STARTED]


def wait_until(condition, what: str, process, log) -> object:
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"the daemon exited ({process.returncode}) waiting for {what}:\n{log.read_text()[-3000:]}"
            )
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"{TIMEOUT_S} s without {what}:\n{log.read_text()[-3000:]}")


@pytest.mark.timeout(300)
def test_a_re_exported_month_is_requested_alone_by_the_daemons_sensor(small_demo_region, tmp_path):
    region = geotiff_region(small_demo_region, tmp_path / "region")
    versions = RegionResource(path=str(region), credentials=CredentialsResource()).nightlights.available_months()
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text(HOLD_RUNS_YAML)
    log = tmp_path / "daemon.log"
    with dg.DagsterInstance.from_config(str(home)) as instance:
        for month, version in versions.items():  # as a materialized region: the first look starts nothing
            instance.report_runless_asset_event(
                dg.AssetMaterialization(asset_key="ntl_composite", partition=month, metadata={"version": version})
            )
        env = {
            "DAGSTER_HOME": str(home),
            "SACNN_REGION": str(region),
            "SACNN_STORAGE": str(tmp_path / "out"),
            INTERVAL_ENV: "1",
            AUTOMATION_ENV: "running",
        }
        started = time.time()
        process = start_daemon(tmp_path, env, log)
        try:
            first = wait_until(lambda: nightlight_ticks(instance, started), "the first look", process, log)
            assert first[-1].status == TickStatus.SKIPPED and "none new or reprocessed" in first[-1].skip_reason
            assert instance.get_runs() == []

            rewrite(region / "ee-exports" / f"{MONTH}.tif", brighter)
            new = RegionResource(path=str(region), credentials=CredentialsResource()).nightlights.available_months()
            assert new[MONTH] != versions[MONTH]
            since = time.time()
            (run,) = wait_until(instance.get_runs, "a run requested for the re-exported month", process, log)
            # two more looks: nothing else is requested
            wait_until(lambda: len(nightlight_ticks(instance, since)) >= 3, "two more looks", process, log)
        finally:
            stop_daemon(process)
        assert len(instance.get_runs()) == 1
        assert run.job_name == "monthly_features"
        assert (run.tags[ASSET_PARTITION_RANGE_START_TAG], run.tags[ASSET_PARTITION_RANGE_END_TAG]) == (MONTH, MONTH)
        assert new[MONTH] in run.tags["dagster/run_key"]
        assert run.tags[REASON_TAG] == f"new or reprocessed composite: {MONTH}"
