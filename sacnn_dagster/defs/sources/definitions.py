"""The sources domain's definitions for one region."""

from __future__ import annotations

import dagster as dg

from sacnn_dagster.config.pools import download_pool
from sacnn_dagster.config.region import RegionConfig
from sacnn_dagster.defs.automation.region_automation import RegionAutomation
from sacnn_dagster.defs.sources.gvio_statistics import gvio_statistics
from sacnn_dagster.defs.sources.ntl_composite import build_ntl_composite
from sacnn_dagster.defs.sources.sensors import build_nightlight_sensor, build_statistics_sensor


def sources_definitions(
    region: RegionConfig, partitions: dg.PartitionsDefinition, automation: RegionAutomation
) -> dg.Definitions:
    return dg.Definitions(
        assets=[build_ntl_composite(partitions, region.checks, download_pool(region.nightlights)), gvio_statistics],
        sensors=[build_nightlight_sensor(automation), build_statistics_sensor(automation)],
    )
