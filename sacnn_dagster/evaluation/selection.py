"""Which estimate is served: the candidate with the best rolling-origin score on the region's own labels,
and each candidate's conformal interval width from the same held-out errors.

Candidates: every model, and an inverse-error weighted ensemble of them (weights 1 / mean squared
relative error on the folds' held-out labels). A stacked regression would fit more weights than three
folds of about a dozen labels can carry; inverse-error weights are one number per model and cannot
overfit much. The ensemble's score must be as honest as the models': each fold is scored with weights
fitted on the *other* folds (so it needs two folds at least), never on the labels it is scored on.

The rule: the highest R² pooled over every held-out label of every fold (all candidates are scored on
the same labels, so this is also the lowest RMSE); a tie goes to the first candidate (SA-CNN first).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sacnn_dagster.evaluation.rolling_origin import RollingOrigin, score_labels
from sacnn_dagster.models.conformal import conformal_quantile, relative_errors

ENSEMBLE = "ensemble"
#: Served when no rolling-origin fold exists (too few labels): the paper's model.
FALLBACK = "sacnn"
RULE = (
    "highest rolling-origin R² pooled over every held-out label (train up to year Y-1, predict year Y, "
    "the last 3 years with labels); the ensemble (inverse mean squared relative error weights) is scored "
    "on each fold with weights fitted on the other folds"
)


@dataclass
class Selection:
    """`selected`: the candidate served; `scores`: each candidate's rolling-origin scores; `weights`: the
    ensemble's (fitted on every fold; empty without an ensemble); `half_widths`: each candidate's relative
    conformal half width (empty without folds: the models' own intervals stay)."""

    selected: str
    rule: str
    scores: dict[str, dict] = field(default_factory=dict)
    weights: dict[str, float] = field(default_factory=dict)
    half_widths: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {
            "selected": self.selected,
            "rule": self.rule,
            "scores": self.scores,
            "ensemble_weights": self.weights,
            "conformal_half_widths": self.half_widths,
        }

    @classmethod
    def from_json(cls, payload: dict) -> Selection:
        return cls(
            payload["selected"],
            payload["rule"],
            payload["scores"],
            payload["ensemble_weights"],
            payload["conformal_half_widths"],
        )


def inverse_error_weights(observed: np.ndarray, predicted: pd.DataFrame) -> pd.Series:
    """Per model (column of `predicted`), 1 / mean squared relative error, normalised to sum to 1."""
    rel = predicted.to_numpy() / np.asarray(observed, dtype=np.float64)[:, None] - 1.0
    inverse = 1.0 / np.maximum(np.mean(np.square(rel), axis=0), 1e-12)
    return pd.Series(inverse / inverse.sum(), index=predicted.columns)


def _wide(table: pd.DataFrame, key: list[str], value: str) -> pd.DataFrame:
    return table.pivot_table(index=key, columns="model", values=value, sort=True)


def ensemble_rows(result: RollingOrigin, models: list[str]) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """The ensemble as one more model of the rolling-origin tables (labels and monthly predictions), each
    fold combined with weights fitted on the other folds; and the weights fitted on every fold."""
    labels = _wide(result.labels, ["fold_year", "period", "months", "observed"], "predicted")[models].reset_index()
    months = _wide(result.predictions, ["fold_year", "month"], "estimate")[models].reset_index()
    label_parts, month_parts = [], []
    for year in labels["fold_year"].unique():
        others = labels[labels["fold_year"] != year]
        w = inverse_error_weights(others["observed"], others[models])
        mine = labels[labels["fold_year"] == year]
        label_parts.append(mine[["fold_year", "period", "months", "observed"]].assign(predicted=mine[models] @ w))
        m = months[months["fold_year"] == year]
        month_parts.append(m[["fold_year", "month"]].assign(estimate=m[models] @ w))
    final = inverse_error_weights(labels["observed"], labels[models])
    lab = pd.concat(label_parts, ignore_index=True).assign(model=ENSEMBLE)
    mon = pd.concat(month_parts, ignore_index=True).assign(model=ENSEMBLE)
    return lab, mon, final


def select(result: RollingOrigin | None, models: list[str]) -> tuple[Selection, pd.DataFrame | None]:
    """The served candidate and why; with it the held-out label table, the ensemble's rows included
    (None without folds)."""
    if result is None or not result.folds:
        return Selection(FALLBACK, f"no rolling-origin fold (too few labels): {FALLBACK}, the paper's model"), None
    table, weights = result.labels, {}
    if len(result.folds) >= 2:
        lab, _, w = ensemble_rows(result, models)
        table = pd.concat([table, lab[list(table.columns)]], ignore_index=True)
        weights = {m: float(v) for m, v in w.items()}
    scores = score_labels(table)
    candidates = [m for m in models if m in scores] + ([ENSEMBLE] if weights else [])
    pooled = np.array([scores[c]["r2"] for c in candidates], dtype=np.float64)
    best = candidates[int(np.argmax(np.where(np.isfinite(pooled), pooled, -np.inf)))]
    half_widths = {
        c: conformal_quantile(relative_errors(rows["observed"], rows["predicted"]))
        for c, rows in table.groupby("model", sort=False)
    }
    return Selection(best, RULE, scores, weights, half_widths), table


def candidate_predictions(result: RollingOrigin, selection: Selection) -> pd.DataFrame:
    """The folds' monthly predictions of every candidate (the ensemble's combined as it was scored), with
    each candidate's conformal interval in `conformal_lower`/`conformal_upper`."""
    table = result.predictions
    if selection.weights:
        _, months, _ = ensemble_rows(result, list(selection.weights))
        table = pd.concat([table, months], ignore_index=True)
    q = table["model"].map(selection.half_widths).to_numpy(dtype=np.float64)
    spread = table["estimate"].abs().to_numpy() * q
    return table.assign(conformal_lower=table["estimate"] - spread, conformal_upper=table["estimate"] + spread)
