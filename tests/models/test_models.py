"""The models on small synthetic data with a known relation (see tests/models/__init__.py)."""

import numpy as np
import pytest

from sacnn_dagster.evaluation.metrics import mape, r2
from sacnn_dagster.models.registry import MODELS
from sacnn_dagster.models.rivals import LinearNtlModel, RandomForestModel
from sacnn_dagster.models.sacnn import SacnnModel

from . import jan_feb_combined, monthly_labels, synthetic

TEST = list(range(60, 72))  # the last year is never trained on


@pytest.fixture(scope="module")
def known():
    data, truth = synthetic(72, 40, seed=0)
    groups = [g for g in jan_feb_combined(data.months) if g[-1] < 60]
    return data, truth, groups, monthly_labels(truth, data.months, groups)


@pytest.fixture(scope="module")
def sacnn_fit(known):
    data, truth, groups, labels = known
    model = SacnnModel(seed=0)
    info = model.fit(data, labels)
    return model, info, model.predict(data)


def test_sacnn_learns_a_known_relation_on_unseen_months(known, sacnn_fit):
    _, truth, _, _ = known
    _, info, pred = sacnn_fit
    assert r2(truth[TEST], pred.estimate[TEST]) > 0.95
    assert mape(truth[TEST], pred.estimate[TEST]) < 2.0
    assert info["epochs"] >= 1 and info["seconds"] > 0
    assert (pred.lower <= pred.estimate).all() and (pred.estimate <= pred.upper).all()


def test_combined_january_february_label_trains_the_sum_not_equal_halves(known, sacnn_fit):
    data, truth, groups, labels = known
    _, _, pred = sacnn_fit
    for group in (g for g in groups if len(g) == 2):
        jan, feb = pred.estimate[group]
        assert jan + feb == pytest.approx(truth[group].sum(), rel=0.03)
        assert feb < 0.85 * jan  # February's output is 30 % lower: the model must not split evenly


def test_same_seed_same_weights_and_save_load_round_trip(known, tmp_path):
    data, _, _, labels = known
    a, b, c = SacnnModel(seed=3, max_epochs=3), SacnnModel(seed=3, max_epochs=3), SacnnModel(seed=4, max_epochs=3)
    for m in (a, b, c):
        m.fit(data, labels)
    for (name, wa), (_, wb) in zip(a.net.state_dict().items(), b.net.state_dict().items(), strict=True):
        assert np.array_equal(wa.numpy(), wb.numpy()), name
    pa = a.predict(data).estimate
    assert not np.array_equal(pa, c.predict(data).estimate)  # the seed matters
    a.save(tmp_path / "sacnn")
    assert np.array_equal(SacnnModel.load(tmp_path / "sacnn").predict(data).estimate, pa)


def test_linear_baseline_recovers_known_coefficients_with_combined_labels(known):
    data, _, groups, _ = known
    truth = 0.002 * data.total_ntl + 150.0
    model = LinearNtlModel()
    model.fit(data, monthly_labels(truth, data.months, groups))
    np.testing.assert_allclose(model.predict(data).estimate, truth, rtol=1e-6)


def test_random_forest_beats_the_mean_on_unseen_months(known):
    data, truth, _, labels = known
    model = RandomForestModel()
    model.fit(data, labels)
    assert r2(truth[TEST], model.predict(data).estimate[TEST]) > 0.3


def test_every_model_is_registered_sacnn_first():
    assert list(MODELS)[:3] == ["sacnn", "random_forest", "linear"]
