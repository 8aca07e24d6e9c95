"""`run_failure_alert`: one webhook message per failed run of this code location, naming the region, the
assets, the months, the first step's error and a link to the run in the UI. Dagster's run-status sensor keeps
its place in the event log in its cursor (stored in the instance), so no run is told twice, across ticks and
daemon restarts alike."""

from __future__ import annotations

import dagster as dg

from sacnn_dagster.config.months import month_range
from sacnn_dagster.config.region import RegionConfig
from sacnn_dagster.defs.automation.settings import CHAIN_INTERVAL_S, interval
from sacnn_dagster.defs.dagster_private import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG
from sacnn_dagster.defs.monitoring.alert_webhook import AlertWebhook
from sacnn_dagster.monitoring.messages import run_failed, run_link

PARTITION_TAG = "dagster/partition"


def run_months(run: dg.DagsterRun) -> list[str]:
    start, end = run.tags.get(ASSET_PARTITION_RANGE_START_TAG), run.tags.get(ASSET_PARTITION_RANGE_END_TAG)
    if start and end:
        return month_range(start, end)
    return [run.tags[PARTITION_TAG]] if run.tags.get(PARTITION_TAG) else []


def failure_reason(context: dg.RunFailureSensorContext) -> str:
    for event in context.get_step_failure_events():
        error = getattr(event.event_specific_data, "error", None)
        if error is not None:
            return f"{event.step_key}: {error.message.strip()}"
    return context.failure_event.message or ""


def build_run_failure_alert(region: RegionConfig, status: dg.DefaultSensorStatus) -> dg.SensorDefinition:
    @dg.run_failure_sensor(
        name="run_failure_alert",
        minimum_interval_seconds=interval(CHAIN_INTERVAL_S),
        default_status=status,
        description="Posts one message per failed run to the webhook in $SACNN_ALERT_WEBHOOK.",
    )
    def run_failure_alert(context: dg.RunFailureSensorContext, alert_webhook: AlertWebhook) -> None:
        run = context.dagster_run
        assets = sorted(k.to_user_string() for k in run.asset_selection or [])
        text = run_failed(
            region.name,
            run.job_name,
            assets,
            run_months(run),
            failure_reason(context),
            run_link(region.monitoring.ui_url, run.run_id),
        )
        alert_webhook.send(text, context.log)

    return run_failure_alert
