"""The models' evaluation (`model_evaluation`): scores on held-out labels, the grids against the truth, and
the chart of every month's estimates."""

import json
from pathlib import Path

import dagster as dg
import pandas as pd

from sacnn_dagster.config.limits import Limits
from sacnn_dagster.defs.common.previews import estimates_chart
from sacnn_dagster.defs.evaluation.checks import HELDOUT_R2, evaluation_check
from sacnn_dagster.defs.evaluation.grid_validation import grid_scores
from sacnn_dagster.defs.model.selection_files import read_selection
from sacnn_dagster.defs.model.training_data import load_training_data, read_current_model
from sacnn_dagster.defs.resources.region import RegionResource
from sacnn_dagster.defs.resources.storage import OutputStorage
from sacnn_dagster.evaluation.held_out import held_out_scores
from sacnn_dagster.evaluation.metrics import random_split, time_split
from sacnn_dagster.evaluation.selection import FALLBACK, Selection
from sacnn_dagster.io.layout import EVALUATION_SUMMARY, months_stored
from sacnn_dagster.models.base import without_timings
from sacnn_dagster.versioning.versions import code_digest


def _summary_table(models: dict) -> str:
    rows = []
    for name, splits in models.items():
        rows.append(
            {
                "model": name,
                **{
                    f"{s} {k}": round(splits[s][k], 4 if k == "r2" else 2)
                    for s in ("random", "time")
                    for k in ("r2", "rmse", "mape")
                },
            }
        )
    return pd.DataFrame(rows).to_markdown(index=False)


def _selected(selection: Selection | None) -> dict:
    """The served candidate, why, and its rolling-origin scores (SA-CNN, unexplained, for a model version
    trained before selections)."""
    if selection is None:
        return {"model": FALLBACK, "rule": "model version without a selection", "rolling_origin": None}
    return {
        "model": selection.selected,
        "rule": selection.rule,
        "rolling_origin": selection.scores.get(selection.selected),
        "ensemble_weights": selection.weights,
        "conformal_half_widths": selection.half_widths,
    }


def _rolling_table(summary: dict) -> str:
    served = summary["selected"]["model"]
    rows = [
        {"candidate": c, **{f"rolling {k}": round(s[k], 4 if k == "r2" else 2) for k in ("r2", "rmse", "mape")}}
        | {"served": c == served}
        for c, s in summary["rolling_origin"].items()
    ]
    return pd.DataFrame(rows).to_markdown(index=False) if rows else f"served: {served} (no rolling-origin fold)"


def build_model_evaluation(has_districts: bool, limits: Limits) -> dg.AssetsDefinition:
    @dg.asset(
        deps=["gvio_model", "gvio_grid", *(["gvio_by_district"] if has_districts else [])],
        group_name="outputs",
        kinds={"pandas"},
        code_version=code_digest("evaluation", "defs.evaluation.grid_validation", "models"),
        check_specs=[HELDOUT_R2.spec(limits)],
    )
    def model_evaluation(
        context: dg.AssetExecutionContext, region: RegionResource, storage: OutputStorage
    ) -> dg.MaterializeResult:
        """How good the estimates are, on months the models never saw: for each model, R², RMSE and MAPE
        under the paper's random split (1/6 of the labels held out, seed 2021) and under a time-ordered
        hold-out (the last 12 labels), each model retrained on the training labels only. Grid validation:
        the SA-CNN grid against the true grid (synthetic regions) and, summed by district and year, against
        `validation/district_gvio_annual.csv`. Beside them, from `gvio_model`'s validation: each
        candidate's rolling-origin scores (trained up to a year, predicting the next, the last three
        years) and the served candidate with its rule (`rolling_origin`, `selected`).
        `evaluation/summary.json`. The `estimates_chart` shows every
        month's estimates and intervals against the published statistics (`previews/gvio_estimates.png`)."""
        data, labels, _, _ = load_training_data(storage)
        splits = {"random": random_split(len(labels)), "time": time_split([p[:7] for p in labels.periods])}
        per_split = {name: held_out_scores(data, labels, *idx) for name, idx in splits.items()}
        models = {m: {s: per_split[s][m] for s in splits} for m in per_split["random"]}
        # wall-clock training times go to the run's metadata, not into the summary: same inputs, same bytes
        seconds = {
            f"{m}_{s}_training_seconds": float(models[m][s]["training"].get("seconds", 0.0))
            for m in models
            for s in splits
        }
        for m in models:
            for s in splits:
                models[m][s] = {**models[m][s], "training": without_timings(models[m][s]["training"])}
        grid_months = months_stored(storage.list_keys("gvio_grid"), "gvio_grid")
        # a validation file that cannot be compared is a problem recorded beside the scores, not a failure
        grid = grid_scores(storage, grid_months, region.config.validation_dir)
        for problem in grid["problems"]:
            context.log.warning(problem)
        version = read_current_model(storage)["version"]
        selection = read_selection(storage, version)
        summary = {
            "models": models,
            "grid": grid,
            "model_version": version,
            "rolling_origin": selection.scores if selection else {},
            "selected": _selected(selection),
        }
        with storage.writing(EVALUATION_SUMMARY) as tmp:
            Path(tmp).write_text(json.dumps(summary, indent=2, default=float))
        table = _summary_table(models) + "\n\n" + _rolling_table(summary)
        context.log.info("\n" + table)
        return dg.MaterializeResult(
            metadata={
                "summary": dg.MetadataValue.md(table),
                "estimates_chart": estimates_chart(storage),
                **{f"{m}_{s}_r2": float(models[m][s]["r2"]) for m in models for s in splits},
                **seconds,
                "selected": summary["selected"]["model"],
                **{f"{c}_rolling_origin_r2": float(s["r2"]) for c, s in summary["rolling_origin"].items()},
                "grid_r2_vs_true_grid": grid["r2_vs_true_grid"],
                "grid_r2_vs_district": grid["r2_vs_district"],
                "validation_problems": dg.MetadataValue.md("\n".join(f"- {p}" for p in grid["problems"]) or "none"),
                "path": dg.MetadataValue.path(storage.uri(EVALUATION_SUMMARY)),
            },
            check_results=[evaluation_check(models, limits)],
        )

    return model_evaluation
