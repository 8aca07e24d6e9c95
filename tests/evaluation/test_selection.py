"""The served candidate: the best rolling-origin score, the ensemble scored on folds it was not weighted on."""

import numpy as np
import pytest

from sacnn_dagster.evaluation.rolling_origin import rolling_origin
from sacnn_dagster.evaluation.selection import ENSEMBLE, FALLBACK, Selection, ensemble_rows, select
from sacnn_dagster.models.base import Prediction
from tests.models import jan_feb_combined, monthly_labels, synthetic


class Fixed:
    def __init__(self, estimate):
        self.estimate = estimate

    def predict(self, data):
        return Prediction(self.estimate, self.estimate * 0.9, self.estimate * 1.1)


def _run(predictions: dict, n_years=3):
    data, truth = synthetic(60, 10, seed=2)
    groups = jan_feb_combined(data.months)
    labels = monthly_labels(truth, data.months, groups)
    fit = lambda d, lab: {m: (Fixed(p(truth)), {}) for m, p in predictions.items()}  # noqa: E731
    return rolling_origin(data, labels, n_years=n_years, fit=fit), truth


def test_the_model_with_the_best_held_out_score_is_served():
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 1, (2, 60))
    result, _ = _run(
        {
            # the others' errors are sum_ridge's times 8 and 30: no weighting of them can help
            "sacnn": lambda t: t * (1 + 0.08 * noise[1]),
            "sum_ridge": lambda t: t * (1 + 0.01 * noise[1]),
            "linear": lambda t: t * (1 + 0.3 * noise[1]),
        }
    )
    selection, table = select(result, ["sacnn", "sum_ridge", "linear"])
    assert selection.selected == "sum_ridge"
    assert set(selection.scores) == {"sacnn", "sum_ridge", "linear", ENSEMBLE}
    assert selection.weights["sum_ridge"] > 0.9 and sum(selection.weights.values()) == pytest.approx(1.0)
    # errors 30 times as large, a conformal half width many times as wide
    assert selection.half_widths["linear"] > 10 * selection.half_widths["sum_ridge"] > 0
    assert selection.half_widths["sum_ridge"] < selection.half_widths["sacnn"]
    assert Selection.from_json(selection.to_json()) == selection
    assert len(table[table["model"] == ENSEMBLE]) == len(table[table["model"] == "sacnn"])


def test_two_models_with_independent_errors_of_one_size_are_served_together():
    rng = np.random.default_rng(1)
    noise = rng.normal(0, 0.05, (2, 60))
    result, truth = _run({"a": lambda t: t * (1 + noise[0]), "b": lambda t: t * (1 + noise[1])})
    selection, _ = select(result, ["a", "b"])
    assert selection.selected == ENSEMBLE
    assert selection.scores[ENSEMBLE]["rmse"] < min(selection.scores[m]["rmse"] for m in "ab")
    # each fold's ensemble months use weights from the other folds only
    _, months, _ = ensemble_rows(result, ["a", "b"])
    assert len(months) == 36 and months["estimate"].notna().all()


def test_one_fold_has_no_ensemble_and_no_fold_falls_back_to_sacnn():
    result, _ = _run({"sacnn": lambda t: t * 1.02, "b": lambda t: t * 1.01}, n_years=1)
    selection, _ = select(result, ["sacnn", "b"])
    assert selection.selected == "b" and not selection.weights and ENSEMBLE not in selection.scores
    fallback, table = select(None, ["sacnn", "b"])
    assert fallback.selected == FALLBACK and table is None and not fallback.half_widths
