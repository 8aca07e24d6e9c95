"""Builds the code location for one region: each domain's definitions (sources/, features/, model/, outputs/,
evaluation/, automation/, monitoring/) merged, with the jobs (jobs.py), the resources (resources/) and the executor."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import dagster as dg

from sacnn_dagster.config.region import load_region
from sacnn_dagster.defs.asset_keys import RegionKeys
from sacnn_dagster.defs.automation.definitions import automation_definitions
from sacnn_dagster.defs.automation.region_automation import RegionAutomation
from sacnn_dagster.defs.evaluation.definitions import evaluation_definitions
from sacnn_dagster.defs.executor import executor_from_environment
from sacnn_dagster.defs.features.definitions import features_definitions
from sacnn_dagster.defs.jobs import (
    EVALUATION_JOB,
    FEATURES_JOB,
    MODEL_JOB,
    OUTPUTS_JOB,
    REFERENCE_JOB,
    RETRAIN_JOB,
    build_jobs,
)
from sacnn_dagster.defs.model.definitions import model_definitions
from sacnn_dagster.defs.monitoring.definitions import monitoring_definitions
from sacnn_dagster.defs.monitoring.freshness import monitored_assets
from sacnn_dagster.defs.outputs.definitions import outputs_definitions
from sacnn_dagster.defs.partitions import monthly_partitions
from sacnn_dagster.defs.resources.credentials import CredentialsResource
from sacnn_dagster.defs.resources.region import RegionResource
from sacnn_dagster.defs.resources.storage_for_root import endpoint_url_from_environment, output_storage
from sacnn_dagster.defs.sources.definitions import sources_definitions
from sacnn_dagster.defs.stac.definitions import stac_definitions

__all__ = [
    "DEFAULT_REGION",
    "EVALUATION_JOB",
    "FEATURES_JOB",
    "MODEL_JOB",
    "OUTPUTS_JOB",
    "OWNER",
    "REFERENCE_JOB",
    "RETRAIN_JOB",
    "build_definitions",
    "default_storage_root",
]

# Single-run backfill policies are what make a decade of months one run (see cli/run.py); Dagster still
# labels them beta, which would print a warning per asset on every load.
warnings.filterwarnings("ignore", category=dg.BetaWarning)

DEFAULT_REGION = "demo-region"
#: Owner of every asset, shown in the UI's asset pages and usable in asset selections.
OWNER = "team:sacnn"


def default_storage_root(region_name: str) -> str:
    return str(Path("sacnn-output") / region_name)


def build_definitions(
    region_dir: str | os.PathLike, storage_root: str | None = None, keys: RegionKeys = RegionKeys()
) -> dg.Definitions:
    """Definitions for the region folder `region_dir`; outputs under `storage_root`, a folder or
    `s3://bucket/prefix` (default `./sacnn-output/<region name>/`). An S3 root is on AWS unless
    $SACNN_S3_ENDPOINT_URL (or $AWS_ENDPOINT_URL) names an S3-compatible endpoint; the AWS keys come from the
    environment, as every secret does. `keys`: the bare asset names by default; a catalogue's regions prefix
    theirs with the region name (asset_keys.py)."""
    region = load_region(region_dir)
    partitions = monthly_partitions(region)
    has_districts = region.districts_path.is_file()
    monitored = monitored_assets(has_districts)
    jobs = build_jobs(partitions, has_districts, region.name, freshness_checked=monitored, keys=keys)
    automation = RegionAutomation.for_region(region, partitions, jobs, keys)
    domains = dg.Definitions.merge(
        sources_definitions(region, partitions, automation),
        features_definitions(region, partitions, automation),
        model_definitions(),
        outputs_definitions(region, partitions, has_districts),
        stac_definitions(partitions, has_districts),
        evaluation_definitions(region, has_districts),
        automation_definitions(automation),
        monitoring_definitions(region, keys, monitored, automation.status),
    )
    domains = keys.apply(domains)
    root = storage_root or default_storage_root(region.name)
    credentials = CredentialsResource.from_environment()
    return dg.Definitions(
        # Who to ask, and (on S3) where the files live, are the same for every asset: said once, here.
        assets=dg.map_asset_specs(
            lambda spec: spec.merge_attributes(owners=[OWNER], kinds={"s3"} if root.startswith("s3://") else set()),
            domains.assets,
        ),
        jobs=jobs.all(),
        asset_checks=domains.asset_checks,
        sensors=domains.sensors,
        schedules=domains.schedules,
        # $SACNN_EXECUTOR: in process by default, multiprocess, Celery or Kubernetes (defs/executor.py says why).
        executor=executor_from_environment(),
        resources={
            "region": RegionResource(path=str(region.root), credentials=credentials),
            "storage": output_storage(root, credentials, endpoint_url_from_environment()),
            **domains.resources,
        },
    )
