"""The sensors that watch the sources: the night-light composites (new and reprocessed months) and the
published statistics (a revised value)."""

from __future__ import annotations

import dagster as dg

from sacnn_dagster.defs.automation.instance_queries import (
    DATA_VERSION_TAG,
    UNFINISHED,
    latest_partition_metadata,
    latest_tag,
    materialized_months,
    months_in_progress,
)
from sacnn_dagster.defs.automation.region_automation import RegionAutomation
from sacnn_dagster.defs.automation.requests import request_changed
from sacnn_dagster.defs.automation.run_tags import ESTIMATE_ALL, REASON_TAG, THEN_TAG, region_runs
from sacnn_dagster.defs.resources.region import RegionResource
from sacnn_dagster.io.input_folder import is_remote
from sacnn_dagster.versioning.source_scan import VersionCursor


def build_nightlight_sensor(automation: RegionAutomation) -> dg.SensorDefinition:
    features = automation.jobs.features

    settings = automation.region.nightlights
    # a local folder (the default, or a geotiff source's folder) is looked at every minute, a server hourly
    local = settings.source == "local" or (
        settings.source == "geotiff" and not is_remote(automation.region.resolve(settings.url or "nightlights"))
    )

    @dg.sensor(job=features, **automation.watching(remote=not local))
    def nightlight_sensor(context: dg.SensorEvaluationContext, region: RegionResource) -> dg.SensorResult:
        """Looks for new and reprocessed VIIRS composites. A month whose composite appears (late or out of
        order included) or whose chosen file changes (a newer processing stamp) gets its features rebuilt,
        then its estimates and grid; no other month runs. Months that change together run as one
        partition-range run per contiguous stretch. Its first look compares the source with what the instance
        already holds, so a materialized region starts nothing."""
        return request_changed(
            context,
            features.name,
            automation.region.name,
            automation.watch.composite_versions(region),
            "composite",
            "new or reprocessed composite",
            unchanged="month(s) with a composite, none new or reprocessed",
            built=lambda: latest_partition_metadata(context.instance, automation.keys("ntl_composite"), "version"),
        )

    return nightlight_sensor


def build_statistics_sensor(automation: RegionAutomation) -> dg.SensorDefinition:
    features, retrain = automation.jobs.features, automation.jobs.retrain
    location = automation.region.resolve(automation.region.statistics_location)

    @dg.sensor(job=retrain, **automation.watching(remote=is_remote(location)))
    def statistics_sensor(context: dg.SensorEvaluationContext, region: RegionResource) -> dg.SensorResult:
        """Looks for new or revised published statistics, by content hash (a revised value is a change even
        when the file's time is not). A change retrains the models on every labelled month; when the model
        version changes, every month is estimated again and the models are evaluated. Waits while monthly
        features are being built, so the models train on all of them."""
        try:
            path = region.statistics_file()
        except FileNotFoundError as exc:
            return dg.SensorResult(skip_reason=str(exc))
        versions = {"statistics": automation.watch.file_digest(path)}
        cursor = VersionCursor.decode(context.cursor)
        if cursor is None:
            built = latest_tag(context.instance, automation.keys("gvio_statistics"), DATA_VERSION_TAG)
            cursor = VersionCursor().with_known({"statistics": built} if built else {})
        if not cursor.changed(versions):
            return dg.SensorResult(skip_reason=f"{path.name} unchanged", cursor=cursor.encode())
        if not materialized_months(context.instance, automation.keys("factory_patches")):
            return dg.SensorResult(
                skip_reason="statistics changed; waiting for monthly features to train on", cursor=cursor.encode()
            )
        busy = months_in_progress(context.instance, features.name, automation.region.name)
        if busy or context.instance.get_runs(region_runs(retrain.name, automation.region.name, statuses=UNFINISHED)):
            skip = f"statistics changed; retraining waits for the runs in progress ({len(busy)} month(s) of features)"
            return dg.SensorResult(skip_reason=skip, cursor=cursor.encode())
        request = dg.RunRequest(
            run_key=f"statistics {versions['statistics'][:16]} #{cursor.generation}",
            tags={THEN_TAG: ESTIMATE_ALL, REASON_TAG: f"{path.name} changed (sha256 {versions['statistics'][:12]})"},
        )
        return dg.SensorResult(run_requests=[request], cursor=cursor.advanced(versions, ["statistics"]).encode())

    return statistics_sensor
