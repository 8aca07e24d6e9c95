"""Builds the code location for one region: assets, resources and partitions wired together."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import dagster as dg

from sacnn_dagster.assets.features import build_feature_assets
from sacnn_dagster.assets.sources import build_source_assets
from sacnn_dagster.core.region import load_region
from sacnn_dagster.partitions import monthly_partitions
from sacnn_dagster.resources import LocalOutputStorage, RegionResource

# Single-run backfill policies are what make a decade of months one run (see runner.py); Dagster still
# labels them beta, which would print a warning per asset on every load.
warnings.filterwarnings("ignore", category=dg.BetaWarning)

DEFAULT_REGION = "demo-region"
#: The job that materializes every monthly asset over a partition range, and the one for the rest.
MONTHLY_JOB = "monthly_assets"
REFERENCE_JOB = "reference_assets"


def default_storage_root(region_name: str) -> str:
    return str(Path("sacnn-output") / region_name)


def build_definitions(region_dir: str | os.PathLike, storage_root: str | None = None) -> dg.Definitions:
    """Definitions for the region folder `region_dir`; outputs under `storage_root`
    (default `./sacnn-output/<region name>/`)."""
    region = load_region(region_dir)
    partitions = monthly_partitions(region)
    assets = [*build_source_assets(partitions), *build_feature_assets(partitions)]
    root = storage_root or default_storage_root(region.name)
    monthly = dg.AssetSelection.assets(*(a for a in assets if a.partitions_def is not None))
    jobs = [
        dg.define_asset_job(MONTHLY_JOB, selection=monthly, partitions_def=partitions),
        dg.define_asset_job(REFERENCE_JOB, selection=dg.AssetSelection.all() - monthly),
    ]
    return dg.Definitions(
        assets=assets,
        jobs=jobs,
        resources={
            "region": RegionResource(path=str(region.root)),
            "storage": LocalOutputStorage(root=str(Path(root).resolve())),
        },
    )
