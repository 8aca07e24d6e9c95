"""The grid through the factories, and which estimate and method the grid uses."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sacnn_dagster.gridding.factory_grid import spread_on_factories
from sacnn_dagster.gridding.methods import BLEND, FACTORIES, LIGHT, FactoryShares, make_grid, selected_model


def test_each_factory_on_its_pixel_adding_up():
    inside = np.ones((4, 5), bool)
    inside[0, 0] = False
    shares = np.array([0.5, 0.3, 0.2])
    grid = spread_on_factories(10.0, shares, np.array([1, 1, 3]), np.array([2, 2, 4]), inside)
    assert grid.gvio[1, 2] == pytest.approx(8.0) and grid.gvio[3, 4] == pytest.approx(2.0)
    assert np.nansum(grid.gvio) == pytest.approx(10.0) and np.isnan(grid.gvio[0, 0])
    assert grid.pixels_used == 2 and not grid.spread_evenly


def test_factories_outside_the_area_hand_their_share_to_the_others():
    inside = np.ones((3, 3), bool)
    inside[0, :] = False
    grid = spread_on_factories(6.0, np.array([0.5, 0.25, 0.25]), np.array([0, 1, 2]), np.array([0, 1, -1]), inside)
    # the first is outside the area, the third off the grid: the second gets everything
    assert grid.gvio[1, 1] == pytest.approx(6.0) and np.nansum(grid.gvio) == pytest.approx(6.0)


def test_without_any_share_the_estimate_is_spread_evenly_over_the_factories():
    inside = np.ones((2, 2), bool)
    grid = spread_on_factories(4.0, np.zeros(2), np.array([0, 1]), np.array([0, 1]), inside)
    assert grid.spread_evenly and grid.gvio[0, 0] == pytest.approx(2.0) and grid.gvio[1, 1] == pytest.approx(2.0)


def test_the_selected_row_or_sacnn():
    table = pd.DataFrame({"model": ["sacnn", "sum_ridge"], "estimate": [1.0, 2.0]})
    assert selected_model(table) == "sacnn"
    assert selected_model(table.assign(selected=[False, True])) == "sum_ridge"
    with pytest.raises(ValueError, match="2 rows"):
        selected_model(table.assign(selected=[True, True]))


def test_make_grid_falls_back_to_light_without_factory_shares():
    ntl = np.array([[1.0, 3.0], [np.nan, 100.0]])
    inside = np.ones((2, 2), bool)
    industrial = np.ones((2, 2), bool)
    factory_ntl = np.array([1.0, 3.0, 4.0])
    light, used = make_grid(FACTORIES, 8.0, ntl, industrial, inside, factory_ntl, None)
    assert used == LIGHT and light.gvio[0, 1] == pytest.approx(6.0) and light.gvio[1, 1] == 0.0
    shares = FactoryShares(np.array([1.0]), np.array([1]), np.array([1]), "factory_sum")
    on_factory, used = make_grid(FACTORIES, 8.0, ntl, industrial, inside, factory_ntl, shares)
    assert used == FACTORIES and on_factory.gvio[1, 1] == pytest.approx(8.0)
    with pytest.raises(ValueError, match="unknown grid method"):
        make_grid("nearest", 8.0, ntl, industrial, inside, factory_ntl, shares)


def test_blend_is_the_mean_of_the_two_and_adds_up():
    ntl = np.array([[1.0, 3.0], [2.0, 100.0]])
    inside = np.ones((2, 2), bool)
    factory_ntl = np.array([1.0, 3.0, 4.0])
    shares = FactoryShares(np.array([1.0]), np.array([1]), np.array([1]), "factory_sum")
    grids = {m: make_grid(m, 6.0, ntl, inside, inside, factory_ntl, shares) for m in (LIGHT, FACTORIES, BLEND)}
    assert grids[BLEND][1] == BLEND
    assert np.allclose(grids[BLEND][0].gvio, (grids[LIGHT][0].gvio + grids[FACTORIES][0].gvio) / 2)
    assert np.nansum(grids[BLEND][0].gvio) == pytest.approx(6.0)
