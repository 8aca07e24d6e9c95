"""The monitoring domain's definitions for one region: the freshness checks and their sensor, region_health,
the two alert sensors and the webhook resource they post with."""

from __future__ import annotations

import dagster as dg

from sacnn_dagster.config.region import RegionConfig
from sacnn_dagster.defs.asset_keys import RegionKeys
from sacnn_dagster.defs.monitoring.alert_webhook import AlertWebhook
from sacnn_dagster.defs.monitoring.check_failure_alert import build_check_failure_alert
from sacnn_dagster.defs.monitoring.freshness import build_freshness_checks
from sacnn_dagster.defs.monitoring.freshness_sensor import build_freshness_sensor
from sacnn_dagster.defs.monitoring.region_health import region_health
from sacnn_dagster.defs.monitoring.run_failure_alert import build_run_failure_alert


def monitoring_definitions(
    region: RegionConfig, keys: RegionKeys, monitored: list[str], status: dg.DefaultSensorStatus
) -> dg.Definitions:
    """`monitored`: the assets with a freshness check (freshness.monitored_assets)."""
    return dg.Definitions(
        assets=[region_health],
        asset_checks=[build_freshness_checks(region, keys, monitored)],
        sensors=[
            build_freshness_sensor(region, keys, monitored, status),
            build_run_failure_alert(region, status),
            build_check_failure_alert(region, status),
        ],
        resources={"alert_webhook": AlertWebhook.from_environment()},
    )
