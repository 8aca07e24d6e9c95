"""Monitoring under a real `dagster-daemon run` (the harness of test_sensors_daemon.py), with the webhook a real
HTTP receiver on loopback named by $SACNN_ALERT_WEBHOOK. The materialized small demo is copied and its region
made one month longer (to 2022-01), a month whose composite is not published yet (a copy of December's, set
aside until the scenario publishes it). The region's months end in 2022, so every deadline lies years in the
past: no clock is waited for. One daemon for the module,
restarted once; the scenarios run in order."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.scheduler.instigation import TickStatus
from monitoring.receiver import SECRET, Receiver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from test_remote_sources import assert_nowhere, instance_texts
from test_sensors import composite_files
from test_sensors_daemon import TEST_INSTANCE_YAML, Automation, drop_late
from test_ui_browser import START_S, browser, free_port, screenshot, wait_for  # noqa: F401 - browser: a fixture

from sacnn_dagster.defs.automation.settings import INTERVAL_ENV
from sacnn_dagster.defs.monitoring.alert_webhook import WEBHOOK_ENV
from sacnn_dagster.defs.monitoring.instance_state import latest_results

LATE = "2022-01"
BROKEN = "2021-11"
FRESHNESS = dg.AssetCheckKey(dg.AssetKey("ntl_composite"), "freshness")
WEBSERVER = Path(sys.executable).parent / "dagster-webserver"


class Monitored(Automation):
    hook: Receiver

    def looked(self, sensor: str, since: float, times: int = 2) -> None:
        """Wait until `sensor` has finished `times` ticks that started after `since`."""
        self.wait_until(
            lambda: sum(t.status != TickStatus.STARTED for t in self.ticks(sensor, after=since)) >= times,
            f"{times} ticks of {sensor}",
        )

    def message(self, start: str) -> str:
        return self.wait_until(lambda: next((t for t in self.hook.texts if start in t), None), f"a message {start}")


@pytest.fixture(scope="module")
def monitored(materialized_small_demo, tmp_path_factory):
    root = tmp_path_factory.mktemp("monitoring")
    region, storage, home, late = root / "region", root / "out", root / "home", root / "late"
    shutil.copytree(materialized_small_demo.region, region)
    shutil.copytree(materialized_small_demo.storage, storage)
    shutil.copytree(materialized_small_demo.home, home)
    (home / "dagster.yaml").write_text(TEST_INSTANCE_YAML)
    spec = region / "region.yaml"
    spec.write_text(spec.read_text().replace('end: "2021-12"', f'end: "{LATE}"'))
    for path in composite_files(region, "2021-12"):  # January's composite, to be published by a scenario
        name = path.name.replace("20211201-20211231", "20220101-20220131")
        stamp = name.split("_v10_")[1].split(".")[0]
        (late / LATE).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, late / LATE / name.replace(stamp, "c202202101200"))
    with Receiver() as hook, pytest.MonkeyPatch.context() as env:
        env.setenv(WEBHOOK_ENV, hook.url)
        with dg.DagsterInstance.from_config(str(home)) as instance:
            monitored = Monitored(root, region, storage, home, late, instance)
            monitored.hook = hook
            monitored.seen_runs.update(r.run_id for r in instance.get_runs())
            monitored.start()
            try:
                yield monitored
            finally:
                monitored.stop()


def test_a_late_month_fails_its_freshness_check_and_sends_one_message(monitored):
    text = monitored.message("Late: 2022-01")
    assert text.startswith(
        "[sacnn demo-city-small] Late: 2022-01 is missing for ntl_composite (due since 2022-03-18 00:00 UTC); "
    )
    result = latest_results(monitored.instance, FRESHNESS)[""]
    assert not result.passed and "2022-01 is missing, due since 2022-03-18" in result.description
    monitored.looked("check_failure_alert", time.time(), times=3)
    assert monitored.hook.texts == [text], monitored.report()


@contextlib.contextmanager
def webserver(monitored: Monitored):
    """`dagster-webserver` (the UI without a daemon) on loopback over the monitored instance; its URL."""
    port = free_port()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(monitored.home),
        "SACNN_REGION": str(monitored.region),
        "SACNN_STORAGE": str(monitored.storage),
        INTERVAL_ENV: "1",
    }
    with (monitored.root / "webserver.log").open("a") as log:
        process = subprocess.Popen(
            [str(WEBSERVER), "-w", str(monitored.root / "workspace.yaml"), "-h", "127.0.0.1", "-p", str(port)],
            cwd=monitored.root,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_S
        while True:
            assert process.poll() is None, (monitored.root / "webserver.log").read_text()[-3000:]
            with contextlib.suppress(OSError), urllib.request.urlopen(f"{url}/server_info", timeout=2) as answer:
                if answer.status == 200:
                    break
            assert time.monotonic() < deadline, f"the webserver not serving after {START_S} s"
            time.sleep(0.5)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_the_failed_freshness_check_shows_in_the_ui(monitored, browser):  # noqa: F811 - the fixture
    with webserver(monitored) as url:
        browser.get(f"{url}/assets/ntl_composite?view=checks&checkDetail=freshness")
        wait_for(browser, ec.text_to_be_present_in_element((By.TAG_NAME, "body"), "freshness"), "the check")
        wait_for(
            browser,
            ec.text_to_be_present_in_element((By.TAG_NAME, "body"), "2022-01 is missing, due since 2022-03-18"),
            "the check's verdict",
        )
        screenshot(browser, "ui_freshness_failed")


def test_the_month_built_passes_and_sends_resolved_once(monitored):
    drop_late(monitored, LATE)
    text = monitored.message("Resolved: 2022-01 late")
    assert latest_results(monitored.instance, FRESHNESS)[""].passed
    assert LATE in monitored.instance.get_materialized_partitions(dg.AssetKey("gvio_grid"))
    monitored.looked("check_failure_alert", time.time(), times=3)
    assert [t for t in monitored.hook.texts if "Resolved" in t] == [text]


def test_a_failed_run_sends_one_message_and_a_restarted_daemon_none_again(monitored):
    for path in composite_files(monitored.region, BROKEN):  # reprocessed into a broken file: the month fails
        stamp = path.name.split("_v10_")[1].split(".")[0]
        path.with_name(path.name.replace(stamp, "c202701010000")).write_bytes(b"")
        path.unlink()
    text = monitored.message("Run failed: monthly_features")
    assert f"for {BROKEN}" in text and "http://127.0.0.1:3000/runs/" in text
    monitored.stop()
    since = time.time()
    monitored.start()
    monitored.looked("run_failure_alert", since)
    monitored.looked("check_failure_alert", since)
    assert [t for t in monitored.hook.texts if "Run failed" in t] == [text], monitored.report()
    assert len([t for t in monitored.hook.texts if "Late:" in t]) == 1


def test_the_webhook_address_is_nowhere(monitored):
    assert os.environ[WEBHOOK_ENV].endswith(SECRET)  # it was set for the daemon
    assert_nowhere(SECRET, folders=[monitored.root], texts=instance_texts(monitored.home))
