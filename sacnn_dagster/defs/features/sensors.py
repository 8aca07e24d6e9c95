"""The sensor that watches the POI snapshots: a new or revised snapshot rebuilds the factories and patches of
the months it now applies to."""

from __future__ import annotations

import dagster as dg

from sacnn_dagster.defs.automation.instance_queries import latest_partition_metadata, materialized_months
from sacnn_dagster.defs.automation.region_automation import RegionAutomation
from sacnn_dagster.defs.automation.requests import request_changed
from sacnn_dagster.defs.resources.region import RegionResource
from sacnn_dagster.io.input_folder import is_remote
from sacnn_dagster.versioning.source_scan import snapshots_in_force

#: What a new POI snapshot rebuilds (the composite and its cleaning do not depend on it).
FEATURE_ASSETS_FROM_POIS = ("factories", "factory_patches")


def snapshots_built(instance: dg.DagsterInstance, factories: dg.AssetKey) -> dict[str, str]:
    """month -> `snapshot:sha256` of the POI snapshot each built month's factories were made from."""
    snapshot = latest_partition_metadata(instance, factories, "snapshot")
    sha = latest_partition_metadata(instance, factories, "snapshot_sha256")
    return {m: f"{snapshot[m]}:{sha[m]}" for m in snapshot if m in sha}


def build_poi_sensor(automation: RegionAutomation) -> dg.SensorDefinition:
    features, keys = automation.jobs.features, automation.keys
    location = automation.region.resolve(automation.region.pois_location)

    @dg.sensor(job=features, **automation.watching(remote=is_remote(location)))
    def poi_sensor(context: dg.SensorEvaluationContext, region: RegionResource) -> dg.SensorResult:
        """Looks for new and revised POI snapshots (by content). Every built month whose snapshot in force
        changes (the newest snapshot not after the month) gets its factory points and patches rebuilt, then
        its estimates and grid."""
        digest = automation.watch.file_digest
        digests = {m: digest(region.poi_snapshot_file(name)) for m, name in region.poi_snapshots().items()}
        # only months with features: the others get the snapshot in force when their composite comes
        months = materialized_months(context.instance, keys("factory_patches"))
        return request_changed(
            context,
            features.name,
            automation.region.name,
            snapshots_in_force(digests, months),
            "poi",
            "POI snapshot in force changed",
            unchanged="built month(s), none with a new snapshot in force",
            built=lambda: snapshots_built(context.instance, keys("factories")),
            asset_selection=[keys(name) for name in FEATURE_ASSETS_FROM_POIS],
        )

    return poi_sensor
