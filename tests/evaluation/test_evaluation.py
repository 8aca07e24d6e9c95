import numpy as np
import pytest

from sacnn_dagster.evaluation.metrics import mape, r2, random_split, rmse, time_split


def test_metrics_against_a_hand_checked_case():
    observed = [2.0, 4.0, 6.0, 8.0]  # mean 5, SS_tot = 9 + 1 + 1 + 9 = 20
    predicted = [3.0, 4.0, 5.0, 8.0]  # residuals -1, 0, 1, 0 -> SS_res = 2
    assert r2(observed, predicted) == pytest.approx(1 - 2 / 20)
    assert rmse(observed, predicted) == pytest.approx(np.sqrt(2 / 4))
    assert mape(observed, predicted) == pytest.approx((0.5 + 0 + 1 / 6 + 0) / 4 * 100)
    # R² is not the squared correlation: a perfectly correlated but biased prediction scores below 1
    assert r2(observed, [o + 1 for o in observed]) == pytest.approx(1 - 4 / 20)


def test_splits():
    train, test = random_split(108)
    assert len(test) == 18 and len(train) == 90 and not set(train) & set(test)
    assert (random_split(108)[1] == test).all()  # fixed seed
    months = [f"2020-{m:02d}" for m in range(1, 13)] + [f"2021-{m:02d}" for m in range(1, 13)]
    shuffled = list(reversed(months))
    train, test = time_split(shuffled)
    assert sorted(shuffled[i] for i in test) == months[-12:]
