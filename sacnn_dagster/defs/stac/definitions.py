"""The STAC domain's definitions for one region: the catalogue of every output."""

from __future__ import annotations

import dagster as dg

from sacnn_dagster.defs.stac.stac_catalog import build_stac_catalog


def stac_definitions(partitions: dg.PartitionsDefinition, has_districts: bool) -> dg.Definitions:
    return dg.Definitions(assets=[build_stac_catalog(partitions, has_districts)])
