"""The monthly safety net: a schedule that requests every month not built in its source's current version."""

from __future__ import annotations

import dagster as dg

from sacnn_dagster.defs.automation.instance_queries import (
    latest_partition_metadata,
    materialized_months,
    months_in_progress,
)
from sacnn_dagster.defs.automation.region_automation import RegionAutomation
from sacnn_dagster.defs.automation.requests import feature_requests
from sacnn_dagster.defs.resources.region import RegionResource


def build_monthly_catch_up(automation: RegionAutomation) -> dg.ScheduleDefinition:
    features = automation.jobs.features

    @dg.schedule(
        cron_schedule="0 6 1 * *", job=features, default_status=automation.schedule_status, execution_timezone="UTC"
    )
    def monthly_catch_up(context: dg.ScheduleEvaluationContext, region: RegionResource):
        """The safety net, on the first of every month: every month whose composite is not built in its
        current version (a failed run, sensors switched off) is requested again, then estimated."""
        versions = automation.watch.composite_versions(region)
        built = latest_partition_metadata(context.instance, automation.keys("ntl_composite"), "version")
        patched = set(materialized_months(context.instance, automation.keys("factory_patches")))
        busy = months_in_progress(context.instance, features.name, automation.region.name)
        todo = {m: v for m, v in versions.items() if (built.get(m) != v or m not in patched) and m not in busy}
        if not todo:
            return dg.SkipReason(f"all {len(versions)} month(s) with a composite are built in their current version")
        stamp = context.scheduled_execution_time.strftime("%Y-%m-%d") if context.scheduled_execution_time else "now"
        return feature_requests("catch-up", todo, stamp, "catch-up: composite not built in its current version")

    return monthly_catch_up
