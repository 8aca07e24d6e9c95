"""Every model of monthly GVIO by name, in the order they are reported: SA-CNN first."""

from __future__ import annotations

from sacnn_dagster.models.base import MonthlyModel
from sacnn_dagster.models.rivals import LinearNtlModel, RandomForestModel, SumRidgeModel
from sacnn_dagster.models.rivals.factory_sum import FactorySumModel
from sacnn_dagster.models.sacnn import SacnnModel

MODELS: dict[str, type[MonthlyModel]] = {
    "sacnn": SacnnModel,
    "random_forest": RandomForestModel,
    "linear": LinearNtlModel,
    "sum_ridge": SumRidgeModel,
    "factory_sum": FactorySumModel,
}


def make_model(name: str, **kwargs) -> MonthlyModel:
    try:
        cls = MODELS[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; known: {', '.join(MODELS)}") from None
    return cls(**kwargs)
