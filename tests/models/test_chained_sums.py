"""A city sum that a new POI snapshot does not move: factories enter through their own changes."""

import numpy as np

from sacnn_dagster.models.chained_sums import chained_sums


def test_listing_a_factory_that_was_always_there_does_not_step_the_sum():
    months, factories = 6, 4
    light = np.full((months, factories, 1), 10.0)
    light[:, :, 0] *= np.linspace(1.0, 1.5, months)[:, None]  # every factory grows 10 % a month
    listed = np.ones((months, factories), dtype=bool)
    listed[:3, 3] = False  # the fourth is listed from month 3 on, lit all along
    plain = (light[:, :, 0] * listed).sum(axis=1)
    chained = chained_sums(light, listed)[:, 0]
    assert plain[3] / plain[2] > 1.4  # the plain sum jumps by the new listing as well as the growth
    np.testing.assert_allclose(chained[1:] / chained[:-1], light[1:, 0, 0] / light[:-1, 0, 0])
    assert chained[0] == plain[0]


def test_adding_months_never_changes_the_earlier_ones():
    rng = np.random.default_rng(1)
    light = rng.uniform(0, 5, (8, 20, 3))
    listed = rng.random((8, 20)) > 0.2
    np.testing.assert_array_equal(chained_sums(light[:5], listed[:5]), chained_sums(light, listed)[:5])


def test_a_month_with_no_matched_light_carries_the_level_over():
    light = np.ones((3, 2, 1))
    listed = np.array([[True, False], [False, True], [False, True]])
    np.testing.assert_array_equal(chained_sums(light, listed)[:, 0], [1.0, 1.0, 1.0])
