"""Builds the code location for one region: assets, resources and partitions wired together."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import dagster as dg

from sacnn_dagster.config.region import load_region
from sacnn_dagster.defs.assets.features import build_feature_assets
from sacnn_dagster.defs.assets.model import build_model_assets
from sacnn_dagster.defs.assets.outputs import build_output_assets
from sacnn_dagster.defs.assets.sources import build_source_assets
from sacnn_dagster.defs.partitions import monthly_partitions
from sacnn_dagster.defs.resources import CredentialsResource, RegionResource
from sacnn_dagster.defs.sensors import build_automation
from sacnn_dagster.defs.storage import endpoint_url_from_environment, output_storage

# Single-run backfill policies are what make a decade of months one run (see cli/run.py); Dagster still
# labels them beta, which would print a warning per asset on every load.
warnings.filterwarnings("ignore", category=dg.BetaWarning)

DEFAULT_REGION = "demo-region"
#: Owner of every asset, shown in the UI's asset pages and usable in asset selections.
OWNER = "team:sacnn"
#: Jobs in the order a full run goes through them: monthly jobs run over partition ranges.
REFERENCE_JOB = "reference_assets"
FEATURES_JOB = "monthly_features"
MODEL_JOB = "train_model"
OUTPUTS_JOB = "monthly_outputs"
EVALUATION_JOB = "evaluate_model"
#: What the statistics sensor launches: the statistics read again and the models retrained in one run.
RETRAIN_JOB = "retrain_model"


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
    sources = build_source_assets(partitions, region.checks)
    features = build_feature_assets(partitions, region.checks)
    model, evaluation = build_model_assets(has_districts, region.checks)
    outputs = build_output_assets(partitions, has_districts, region.checks)
    root = storage_root or default_storage_root(region.name)
    # Who to ask, and (on S3) where the files live, are the same for every asset: said once, here.
    assets = dg.map_asset_specs(
        lambda spec: spec.merge_attributes(owners=[OWNER], kinds={"s3"} if root.startswith("s3://") else set()),
        [*sources, *features, model, *outputs, evaluation],
    )

    def select(*defs):
        return dg.AssetSelection.assets(*defs)

    monthly_sources = [a for a in sources if a.partitions_def is not None]
    jobs = [
        dg.define_asset_job(REFERENCE_JOB, selection=select(*(a for a in sources if a.partitions_def is None))),
        dg.define_asset_job(FEATURES_JOB, selection=select(*monthly_sources, *features), partitions_def=partitions),
        dg.define_asset_job(MODEL_JOB, selection=select(model)),
        dg.define_asset_job(OUTPUTS_JOB, selection=select(*outputs), partitions_def=partitions),
        dg.define_asset_job(EVALUATION_JOB, selection=select(evaluation)),
        dg.define_asset_job(RETRAIN_JOB, selection=select(*(a for a in sources if a.partitions_def is None), model)),
    ]
    by_name = {job.name: job for job in jobs}
    sensors, schedules = build_automation(
        region,
        partitions,
        features=by_name[FEATURES_JOB],
        retrain=by_name[RETRAIN_JOB],
        outputs=by_name[OUTPUTS_JOB],
        evaluation=by_name[EVALUATION_JOB],
    )
    credentials = CredentialsResource.from_environment()
    return dg.Definitions(
        assets=assets,
        jobs=jobs,
        sensors=sensors,
        schedules=schedules,
        # Steps one after the other in the run's process: the multiprocess default starts a process per
        # step, which imports the whole stack again, and the monthly chain is sequential anyway (a backfill
        # of the small demo spent 206 s of its runs outside their steps with it, 5 s without; README).
        executor=dg.in_process_executor,
        resources={
            "region": RegionResource(path=str(region.root), credentials=credentials),
            "storage": output_storage(root, credentials, endpoint_url_from_environment()),
        },
    )
