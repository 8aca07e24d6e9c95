"""The features domain's definitions for one region."""

from __future__ import annotations

import dagster as dg

from sacnn_dagster.config.region import RegionConfig
from sacnn_dagster.defs.automation.region_automation import RegionAutomation
from sacnn_dagster.defs.features.factories import build_factories
from sacnn_dagster.defs.features.factory_patches import build_factory_patches
from sacnn_dagster.defs.features.ntl_clean import build_ntl_clean
from sacnn_dagster.defs.features.sensors import build_poi_sensor


def features_definitions(
    region: RegionConfig, partitions: dg.PartitionsDefinition, automation: RegionAutomation
) -> dg.Definitions:
    return dg.Definitions(
        assets=[
            build_ntl_clean(partitions),
            build_factories(partitions, region.checks),
            build_factory_patches(partitions, region.checks),
        ],
        sensors=[build_poi_sensor(automation)],
    )
