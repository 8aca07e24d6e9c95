"""Builds the code location for one region: assets, resources and partitions wired together."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import dagster as dg

from sacnn_dagster.assets.features import build_feature_assets
from sacnn_dagster.assets.model import build_model_assets
from sacnn_dagster.assets.outputs import build_output_assets
from sacnn_dagster.assets.sources import build_source_assets
from sacnn_dagster.core.region import load_region
from sacnn_dagster.partitions import monthly_partitions
from sacnn_dagster.resources import CredentialsResource, RegionResource
from sacnn_dagster.storage import endpoint_url_from_environment, output_storage

# Single-run backfill policies are what make a decade of months one run (see runner.py); Dagster still
# labels them beta, which would print a warning per asset on every load.
warnings.filterwarnings("ignore", category=dg.BetaWarning)

DEFAULT_REGION = "demo-region"
#: Jobs in the order a full run goes through them: monthly jobs run over partition ranges.
REFERENCE_JOB = "reference_assets"
FEATURES_JOB = "monthly_features"
MODEL_JOB = "train_model"
OUTPUTS_JOB = "monthly_outputs"
EVALUATION_JOB = "evaluate_model"


def default_storage_root(region_name: str) -> str:
    return str(Path("sacnn-output") / region_name)


def build_definitions(region_dir: str | os.PathLike, storage_root: str | None = None) -> dg.Definitions:
    """Definitions for the region folder `region_dir`; outputs under `storage_root`, a folder or
    `s3://bucket/prefix` (default `./sacnn-output/<region name>/`). An S3 root is on AWS unless
    $SACNN_S3_ENDPOINT_URL (or $AWS_ENDPOINT_URL) names an S3-compatible endpoint; the AWS keys come from the
    environment, as every secret does."""
    region = load_region(region_dir)
    partitions = monthly_partitions(region)
    has_districts = region.districts_path.is_file()
    sources = build_source_assets(partitions)
    features = build_feature_assets(partitions)
    model, evaluation = build_model_assets(has_districts)
    outputs = build_output_assets(partitions, has_districts)
    assets = [*sources, *features, model, *outputs, evaluation]
    root = storage_root or default_storage_root(region.name)

    def select(*defs):
        return dg.AssetSelection.assets(*defs)

    monthly_sources = [a for a in sources if a.partitions_def is not None]
    jobs = [
        dg.define_asset_job(REFERENCE_JOB, selection=select(*(a for a in sources if a.partitions_def is None))),
        dg.define_asset_job(FEATURES_JOB, selection=select(*monthly_sources, *features), partitions_def=partitions),
        dg.define_asset_job(MODEL_JOB, selection=select(model)),
        dg.define_asset_job(OUTPUTS_JOB, selection=select(*outputs), partitions_def=partitions),
        dg.define_asset_job(EVALUATION_JOB, selection=select(evaluation)),
    ]
    credentials = CredentialsResource.from_environment()
    return dg.Definitions(
        assets=assets,
        jobs=jobs,
        resources={
            "region": RegionResource(path=str(region.root), credentials=credentials),
            "storage": output_storage(root, credentials, endpoint_url_from_environment()),
        },
    )
