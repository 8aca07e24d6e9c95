"""Conformal intervals cover at their rate on known distributions, whatever their shape."""

import math

import numpy as np
import pytest

from sacnn_dagster.models.conformal import conformal_interval, conformal_quantile, relative_errors


@pytest.mark.parametrize(
    "draw",
    [
        lambda rng, size: rng.normal(0.0, 0.05, size),
        lambda rng, size: 0.03 * rng.standard_t(3, size),  # heavy tails
        lambda rng, size: rng.exponential(0.04, size) - 0.01,  # skewed, biased
    ],
)
def test_a_conformal_interval_covers_at_its_rate_on_a_known_distribution(draw):
    rng = np.random.default_rng(7)
    n, trials, estimate = 30, 4000, 250.0
    calibration = estimate * (1 + draw(rng, (trials, n)))
    new = estimate * (1 + draw(rng, trials))
    covered = np.empty(trials, dtype=bool)
    for t in range(trials):
        q = conformal_quantile(relative_errors(calibration[t], estimate), 0.9)
        p = conformal_interval([estimate], q)
        covered[t] = p.lower[0] <= new[t] <= p.upper[0]
    # exchangeable scores: coverage ceil(31 x 0.9) / 31 = 0.903 in expectation; 4000 trials: sd 0.005
    assert covered.mean() == pytest.approx(28 / 31, abs=0.02)


def test_quantile_rank_and_edge_cases():
    scores = np.arange(1.0, 20.0)  # 19 scores: rank ceil(20 x 0.9) = 18
    assert conformal_quantile(scores, 0.9) == 18.0
    assert conformal_quantile([0.1, 0.3, 0.2], 0.9) == 0.3  # too few for the rank: the largest
    assert math.isnan(conformal_quantile([], 0.9))
    assert relative_errors([110.0, 5.0], [100.0, 0.0]).tolist() == pytest.approx([0.1, math.inf])
    p = conformal_interval([100.0, 200.0, -10.0], 0.1)
    assert p.lower.tolist() == pytest.approx([90.0, 180.0, -11.0])
    assert p.upper.tolist() == pytest.approx([110.0, 220.0, -9.0])
