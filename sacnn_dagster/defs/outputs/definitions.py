"""The outputs domain's definitions for one region."""

from __future__ import annotations

import dagster as dg

from sacnn_dagster.config.region import RegionConfig
from sacnn_dagster.defs.outputs.gvio_by_district import build_gvio_by_district
from sacnn_dagster.defs.outputs.gvio_estimate import build_gvio_estimate
from sacnn_dagster.defs.outputs.gvio_factory import build_gvio_factory
from sacnn_dagster.defs.outputs.gvio_grid import build_gvio_grid


def outputs_definitions(
    region: RegionConfig, partitions: dg.PartitionsDefinition, has_districts: bool
) -> dg.Definitions:
    assets = [
        build_gvio_estimate(partitions, region.checks),
        build_gvio_factory(partitions),
        build_gvio_grid(partitions, region.checks),
    ]
    return dg.Definitions(assets=[*assets, *([build_gvio_by_district(partitions)] if has_districts else [])])
