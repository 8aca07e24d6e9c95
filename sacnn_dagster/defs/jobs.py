"""The jobs of a region's code location, in the order a full run goes through them (cli/run.py); the monthly
ones run over partition ranges. Selected by asset name: the assets are the domains' (sources/, features/,
model/, outputs/, evaluation/)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import dagster as dg

from sacnn_dagster.monitoring.freshness import FRESHNESS_CHECK

REFERENCE_JOB = "reference_assets"
FEATURES_JOB = "monthly_features"
MODEL_JOB = "train_model"
OUTPUTS_JOB = "monthly_outputs"
EVALUATION_JOB = "evaluate_model"
#: What the statistics sensor launches: the statistics read again and the models retrained in one run.
RETRAIN_JOB = "retrain_model"


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
    partitions: dg.PartitionsDefinition, has_districts: bool, freshness_checked: Collection[str] = ()
) -> RegionJobs:
    """The jobs; `gvio_by_district` is among the monthly outputs of a region with districts. The assets'
    freshness checks (on the assets in `freshness_checked`) are left out: the monitoring sensor evaluates
    them (defs/monitoring/), and a build must not fail for being late."""

    def assets(*names: str) -> dg.AssetSelection:
        late = [dg.AssetCheckKey(dg.AssetKey(n), FRESHNESS_CHECK) for n in names if n in freshness_checked]
        selection = dg.AssetSelection.assets(*names)
        return selection - dg.AssetSelection.checks(*late) if late else selection

    outputs = ["gvio_estimate", "gvio_factory", "gvio_grid", *(["gvio_by_district"] if has_districts else [])]
    return RegionJobs(
        reference=dg.define_asset_job(REFERENCE_JOB, selection=assets("gvio_statistics")),
        features=dg.define_asset_job(
            FEATURES_JOB,
            selection=assets("ntl_composite", "ntl_clean", "factories", "factory_patches"),
            partitions_def=partitions,
        ),
        model=dg.define_asset_job(MODEL_JOB, selection=assets("gvio_model")),
        outputs=dg.define_asset_job(OUTPUTS_JOB, selection=assets(*outputs), partitions_def=partitions),
        evaluation=dg.define_asset_job(EVALUATION_JOB, selection=assets("model_evaluation")),
        retrain=dg.define_asset_job(RETRAIN_JOB, selection=assets("gvio_statistics", "gvio_model")),
    )
