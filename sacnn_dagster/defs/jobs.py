"""The jobs of a region's code location, in the order a full run goes through them (cli/run.py); the monthly
ones run over partition ranges. Selected by asset name: the assets are the domains' (sources/, features/,
model/, outputs/, evaluation/)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import dagster as dg

from sacnn_dagster.defs.asset_keys import RegionKeys
from sacnn_dagster.monitoring.freshness import FRESHNESS_CHECK

REFERENCE_JOB = "reference_assets"
FEATURES_JOB = "monthly_features"
MODEL_JOB = "train_model"
OUTPUTS_JOB = "monthly_outputs"
EVALUATION_JOB = "evaluate_model"
#: What the statistics sensor launches: the statistics read again and the models retrained in one run.
RETRAIN_JOB = "retrain_model"
#: The region a run builds, on every run of its jobs: regions of a catalogue share one instance and the job
#: names, so what a sensor asks about runs is asked of its region's runs only.
REGION_TAG = "sacnn/region"


@dataclass(frozen=True)
class RegionJobs:
    reference: dg.UnresolvedAssetJobDefinition
    features: dg.UnresolvedAssetJobDefinition
    model: dg.UnresolvedAssetJobDefinition
    outputs: dg.UnresolvedAssetJobDefinition
    evaluation: dg.UnresolvedAssetJobDefinition
    retrain: dg.UnresolvedAssetJobDefinition

    def all(self) -> list[dg.UnresolvedAssetJobDefinition]:
        return [self.reference, self.features, self.model, self.outputs, self.evaluation, self.retrain]


def build_jobs(
    partitions: dg.PartitionsDefinition,
    has_districts: bool,
    region_name: str,
    freshness_checked: Collection[str] = (),
    keys: RegionKeys = RegionKeys(),
) -> RegionJobs:
    """The jobs of the region `region_name` (its runs carry REGION_TAG), selecting its assets by `keys`;
    `gvio_by_district` is among the monthly outputs of a region with districts. The assets'
    freshness checks (on the assets in `freshness_checked`) are left out: the monitoring sensor evaluates
    them (defs/monitoring/), and a build must not fail for being late."""

    def assets(*names: str) -> dg.AssetSelection:
        late = [keys.check(n, FRESHNESS_CHECK) for n in names if n in freshness_checked]
        selection = dg.AssetSelection.assets(*(keys(n) for n in names))
        return selection - dg.AssetSelection.checks(*late) if late else selection

    tags = {REGION_TAG: region_name}

    def job(name: str, *assets_: str, monthly: bool = False) -> dg.UnresolvedAssetJobDefinition:
        return dg.define_asset_job(
            name, selection=assets(*assets_), partitions_def=partitions if monthly else None, tags=tags
        )

    outputs = ["gvio_estimate", "gvio_factory", "gvio_grid", *(["gvio_by_district"] if has_districts else [])]
    outputs.append("stac_catalog")  # the STAC catalogue of every output, rebuilt after them (defs/stac/)
    return RegionJobs(
        reference=job(REFERENCE_JOB, "gvio_statistics"),
        features=job(FEATURES_JOB, "ntl_composite", "ntl_clean", "factories", "factory_patches", monthly=True),
        model=job(MODEL_JOB, "gvio_model"),
        outputs=job(OUTPUTS_JOB, *outputs, monthly=True),
        evaluation=job(EVALUATION_JOB, "model_evaluation"),
        retrain=job(RETRAIN_JOB, "gvio_statistics", "gvio_model"),
    )
