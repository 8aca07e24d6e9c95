"""Rolling-origin folds and scores on small generated data (a stand-in fit keeps it fast)."""

import numpy as np
import pytest

from sacnn_dagster.evaluation.rolling_origin import label_years, rolling_folds, rolling_origin
from sacnn_dagster.models.base import Prediction
from sacnn_dagster.models.rivals import LinearNtlModel
from tests.models import jan_feb_combined, monthly_labels, synthetic


@pytest.fixture(scope="module")
def known():
    data, truth = synthetic(60, 10, seed=1)  # 2015-01 .. 2019-12
    groups = [g for g in jan_feb_combined(data.months) if g[-1] < 54]  # labels up to 2019-06
    return data, truth, groups, monthly_labels(truth, data.months, groups)


class Scaled:
    """Predicts the truth times a factor, whatever it is trained on."""

    def __init__(self, truth, factor):
        self.truth, self.factor = truth, factor

    def predict(self, data):
        e = self.truth * self.factor
        return Prediction(e, 0.9 * e, 1.1 * e)


def test_folds_train_up_to_the_year_before_and_test_the_year(known):
    data, _, _, labels = known
    folds = rolling_folds(data, labels, n_years=3)
    years = label_years(data, labels)
    assert [f.year for f in folds] == [2017, 2018, 2019]
    for fold in folds:
        assert (years[fold.train] < fold.year).all() and (years[fold.test] == fold.year).all()
        assert len(fold.train) + len(fold.test) == (years <= fold.year).sum()
    # a combined January-February label belongs to its year, and the 2019 fold only has its labels (to June)
    assert len(folds[-1].test) == 5 and labels.periods[folds[-1].test[0]] == "2019-01/2019-02"
    assert rolling_folds(data, labels, n_years=3, min_train=40)[0].year == 2019


def test_predictions_cover_every_month_of_each_test_year_and_scores_use_label_sums(known):
    data, truth, _, labels = known
    fit = lambda d, lab: {"exact": (Scaled(truth, 1.0), {}), "high": (Scaled(truth, 1.05), {})}  # noqa: E731
    result = rolling_origin(data, labels, fit=fit)
    high = result.predictions[result.predictions["model"] == "high"]
    assert len(high) == 36 and set(high["fold_year"]) == {2017, 2018, 2019}
    assert sorted(high["month"]) == data.months[24:60]
    assert result.scores["exact"]["r2"] == pytest.approx(1.0) and result.scores["exact"]["mape"] < 1e-9
    assert result.scores["high"]["mape"] == pytest.approx(5.0)
    assert set(result.scores["high"]["folds"]) == {"2017", "2018", "2019"}
    combined = result.labels[(result.labels["months"] == 2) & (result.labels["model"] == "exact")]
    assert len(combined) == 3
    np.testing.assert_allclose(combined["predicted"], combined["observed"])


def test_real_models_are_trained_per_fold(known):
    data, truth, _, labels = known
    seen = []

    def fit(d, lab):
        seen.append(len(lab))
        model = LinearNtlModel()
        return {"linear": (model, model.fit(d, lab))}

    result = rolling_origin(data, labels, n_years=2, fit=fit)
    assert seen == [len(f.train) for f in result.folds] and seen[0] < seen[1]
    assert result.scores["linear"]["n_test"] == len(labels) - seen[0]
