"""The month's estimates (`gvio_estimate`): every model's GVIO for the month, with its interval."""

import math
from collections.abc import Iterator

import dagster as dg
import pandas as pd

from sacnn_dagster.config.limits import Limits
from sacnn_dagster.defs.common.check_reporting import CheckedOutput, monthly_specs
from sacnn_dagster.defs.common.monthly import monthly_asset_options
from sacnn_dagster.defs.model.selection_files import read_selection
from sacnn_dagster.defs.model.training_data import load_training_data, read_current_model
from sacnn_dagster.defs.outputs.checks import ESTIMATE_PLAUSIBLE, estimate_checks
from sacnn_dagster.defs.resources.storage import OutputStorage
from sacnn_dagster.evaluation.selection import ENSEMBLE, FALLBACK, Selection
from sacnn_dagster.io.layout import model_folder, month_file
from sacnn_dagster.models.base import Prediction
from sacnn_dagster.models.conformal import conformal_interval
from sacnn_dagster.models.suite import load_all
from sacnn_dagster.versioning.versions import code_digest


def served_predictions(
    predictions: dict[str, Prediction], selection: Selection | None
) -> dict[str, tuple[Prediction, bool]]:
    """Each candidate's prediction with its conformal interval (where the folds gave a finite one; the
    model's own otherwise), the ensemble's added when it has weights, and whether it is the served one
    (SA-CNN for a model version without a selection)."""
    if selection is None:
        return {name: (p, name == FALLBACK) for name, p in predictions.items()}
    if selection.weights:
        estimate = sum(w * predictions[m].estimate for m, w in selection.weights.items())
        predictions = {**predictions, ENSEMBLE: Prediction(estimate, estimate, estimate)}
    out = {}
    for name, p in predictions.items():
        q = selection.half_widths.get(name, math.nan)
        out[name] = (conformal_interval(p.estimate, q) if math.isfinite(q) else p, name == selection.selected)
    return out


def estimate_months(storage: OutputStorage, months: list[str]) -> tuple[dict[str, pd.DataFrame], str, dict[str, int]]:
    """Every model's estimate and interval for `months`, from the current model version."""
    current = read_current_model(storage)
    version = current["version"]
    with storage.fetched_folder(model_folder(version)) as folder:
        models, registry = load_all(folder)
    # all stored months, so that models which look at neighbouring months (gap filling) can
    data, _, _, _ = load_training_data(storage, registry)
    missing = [m for m in months if m not in data.months]
    if missing:
        raise FileNotFoundError(f"no factory_patches for {', '.join(missing)}: materialize the features first")
    predictions = served_predictions(
        {name: model.predict(data) for name, model in models.items()}, read_selection(storage, version)
    )
    out = {}
    for month in months:
        i = data.months.index(month)
        out[month] = pd.DataFrame(
            {
                "model": list(predictions),
                "estimate": [float(p.estimate[i]) for p, _ in predictions.values()],
                "lower": [float(p.lower[i]) for p, _ in predictions.values()],
                "upper": [float(p.upper[i]) for p, _ in predictions.values()],
                "selected": [selected for _, selected in predictions.values()],
                "model_version": version,
            }
        )
    unknown = dict(zip(data.months, data.unknown_factories.tolist(), strict=True))
    return out, version, unknown


def build_gvio_estimate(partitions: dg.PartitionsDefinition, limits: Limits) -> dg.AssetsDefinition:
    @dg.asset(
        deps=["gvio_model", "factory_patches"],
        group_name="outputs",
        kinds={"torch", "pandas"},
        check_specs=monthly_specs(partitions, limits, ESTIMATE_PLAUSIBLE),
        code_version=code_digest("models", "evaluation.selection", "defs.model.selection_files"),
        **monthly_asset_options(partitions, retry_transient=False),
    )
    def gvio_estimate(context: dg.AssetExecutionContext, storage: OutputStorage) -> Iterator[CheckedOutput]:
        """The month's industrial output (GVIO, 亿元) estimated by each model, with its conformal 90 %
        interval (calibrated on the rolling-origin folds' held-out errors), for every month that has a
        composite, labelled or not. One row per model, plus `ensemble` where the folds allow one:
        `model`, `estimate`, `lower`, `upper`, `selected` (true on exactly one row: the served estimate,
        chosen by validation in `gvio_model`), `model_version`. `gvio_estimate/YYYY-MM.parquet`."""
        keys = context.partition_keys
        tables, version, unknown = estimate_months(storage, keys)
        for month, table in tables.items():
            key = month_file("gvio_estimate", month)
            with storage.writing(key) as tmp:
                table.to_parquet(tmp, index=False)
            by_model = table.set_index("model")
            served = table[table["selected"]].iloc[0]
            context.add_asset_metadata(
                {
                    "selected": str(served["model"]),
                    "selected_estimate": float(served["estimate"]),
                    "path": dg.MetadataValue.path(storage.uri(key)),
                    "model_version": version,
                    **{f"{m}_estimate": float(by_model.loc[m, "estimate"]) for m in by_model.index},
                    "sacnn_lower": float(by_model.loc["sacnn", "lower"]),
                    "sacnn_upper": float(by_model.loc["sacnn", "upper"]),
                    "factories_unknown_to_model": int(unknown[month]),
                    "preview": dg.MetadataValue.md(table.round(2).to_markdown(index=False)),
                },
                partition_key=month,
            )
        context.log.info(f"gvio_estimate: {len(keys)} month(s) with model {version}")
        yield dg.MaterializeResult()
        yield from estimate_checks(context, storage, limits)

    return gvio_estimate
