"""The evaluation domain's definitions for one region."""

from __future__ import annotations

import dagster as dg

from sacnn_dagster.config.region import RegionConfig
from sacnn_dagster.defs.evaluation.model_evaluation import build_model_evaluation


def evaluation_definitions(region: RegionConfig, has_districts: bool) -> dg.Definitions:
    return dg.Definitions(assets=[build_model_evaluation(has_districts, region.checks)])
