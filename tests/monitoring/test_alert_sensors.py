"""The freshness sensor and the alert sensors evaluated in process against a real instance and a real webhook
receiver on loopback; the months built are recorded as runs would record them (test_sensors.report_built), and
the deadlines lie years behind the small demo's months (2019-07..2021-12), so the real clock is no matter."""

from __future__ import annotations

import logging
import shutil

import dagster as dg
import pytest
from monitoring.receiver import SECRET, Receiver
from test_remote_sources import assert_nowhere
from test_sensors import report_built

from sacnn_dagster.cli.status import region_status
from sacnn_dagster.config.months import month_range
from sacnn_dagster.defs.code_location import build_definitions
from sacnn_dagster.defs.monitoring.alert_webhook import AlertWebhook
from sacnn_dagster.defs.monitoring.instance_state import latest_results
from sacnn_dagster.defs.monitoring.run_failure_alert import build_run_failure_alert

MONTHS = month_range("2019-07", "2021-12")
MONITORED = ("ntl_composite", "gvio_estimate", "gvio_grid", "gvio_by_district")


@pytest.fixture
def region(small_demo_region, tmp_path):
    shutil.copytree(small_demo_region, tmp_path / "region")
    return tmp_path / "region"


def build_all_but(instance, last: str) -> None:
    for asset in MONITORED:
        report_built(instance, asset, [m for m in MONTHS if m < last], lambda m: {})
    instance.report_runless_asset_event(
        dg.AssetMaterialization("gvio_statistics", metadata={"first_month": "2019-07", "last_month": "2021-12"})
    )


def tick(defs, name, instance, cursor=None, resources=None):
    context = dg.build_sensor_context(instance=instance, cursor=cursor, definitions=defs, resources=resources)
    result = defs.get_sensor_def(name)(context)
    return context, result


def test_a_late_month_fails_its_checks_once_alerts_once_and_resolves_once(region, tmp_path, instance, caplog):
    caplog.set_level(logging.INFO)
    defs = build_definitions(region, str(tmp_path / "out"))
    build_all_but(instance, "2021-12")
    tick(defs, "freshness_sensor", instance)
    key = dg.AssetCheckKey(dg.AssetKey("ntl_composite"), "freshness")
    result = latest_results(instance, key)[""]
    assert not result.passed
    assert result.description.startswith("ntl_composite: 2021-12 is missing, due since 2022-02-15 00:00 UTC")
    _, again = tick(defs, "freshness_sensor", instance)
    assert "0 verdict(s) changed" in again.skip_message  # nothing recorded twice
    assert len(instance.event_log_storage.get_asset_check_execution_history(key, limit=10)) == 1
    health = instance.get_latest_materialization_event(dg.AssetKey("region_health")).asset_materialization
    assert health.metadata["ok"].value is False and "OVERDUE: 2021-12" in health.metadata["summary"].value

    with Receiver() as hook:
        webhook = {"alert_webhook": AlertWebhook(url=hook.url)}
        hook.fail_next(3)  # down for the first tick: nothing is lost, the sensor does not fail
        context, _ = tick(defs, "check_failure_alert", instance, resources=webhook)
        assert hook.texts == [] and len(hook.failed) == 3
        for _ in range(2):  # told at the next tick, and only then
            context, _ = tick(defs, "check_failure_alert", instance, context.cursor, webhook)
        assert len(hook.texts) == 1
        assert hook.texts[0].startswith(
            "[sacnn demo-city-small] Late: 2021-12 is missing for ntl_composite (due since 2022-02-15 00:00 UTC); "
            "gvio_by_district (due since 2022-02-17 00:00 UTC); gvio_estimate"
        )
        assert hook.texts[0].endswith("http://127.0.0.1:3000/assets/ntl_composite?view=checks")

        build_all_but(instance, "2022-01")  # 2021-12 arrives and is built
        tick(defs, "freshness_sensor", instance)
        assert latest_results(instance, key)[""].passed
        for _ in range(2):
            context, _ = tick(defs, "check_failure_alert", instance, context.cursor, webhook)
    assert hook.texts[1:] == [
        "[sacnn demo-city-small] Resolved: 2021-12 late (ntl_composite, gvio_by_district, gvio_estimate, gvio_grid)."
    ]
    assert_nowhere(SECRET, folders=[tmp_path], texts=[caplog.text, context.cursor])


def test_an_undelivered_alert_is_logged_without_the_address(caplog):
    caplog.set_level(logging.INFO)
    with Receiver() as hook:
        hook.fail_next(3)
        assert not AlertWebhook(url=hook.url).send("x", logging.getLogger("alerts"))
    assert "not delivered to the webhook ($SACNN_ALERT_WEBHOOK) after 3 tries: HTTP 500" in caplog.text
    assert SECRET not in caplog.text and "127.0.0.1" not in caplog.text


def test_a_failed_run_is_told_with_its_months_reason_and_link(region, tmp_path, instance, caplog):
    caplog.set_level(logging.INFO)
    for path in (region / "nightlights").rglob("SVDNB_*_20211201-*"):
        path.unlink()  # no composite for 2021-12: the month's run fails
    defs = build_definitions(region, str(tmp_path / "out"))
    result = defs.resolve_job_def("monthly_features").execute_in_process(
        instance=instance, partition_key="2021-12", raise_on_error=False
    )
    assert not result.success
    run = instance.get_run_by_id(result.run_id)
    failure = next(e for e in result.all_events if e.event_type == dg.DagsterEventType.RUN_FAILURE)
    with Receiver() as hook:
        sensor = build_run_failure_alert(defs.resources["region"].config, dg.DefaultSensorStatus.RUNNING)
        context = dg.build_run_status_sensor_context(
            sensor_name="run_failure_alert",
            dagster_event=failure,
            dagster_instance=instance,
            dagster_run=run,
            resources={"alert_webhook": AlertWebhook(url=hook.url)},
        ).for_run_failure()
        sensor(context)
    assert len(hook.texts) == 1
    text = hook.texts[0]
    assert text.startswith("[sacnn demo-city-small] Run failed: monthly_features (") and "for 2021-12" in text
    assert "Reason: ntl_composite" in text and text.endswith(f"http://127.0.0.1:3000/runs/{run.run_id}")
    lines = []
    assert region_status(region, instance, echo=lines.append) == 1  # nothing built in this instance: overdue
    assert lines[-1].startswith(f"Last failed run: monthly_features {run.run_id} ended ")
    assert_nowhere(SECRET, folders=[tmp_path], texts=[caplog.text])
