"""Where the paper's grid may put output when a region has no land-use layer: the factories' own pixels."""

import numpy as np

from sacnn_dagster.geo.grid import Grid
from sacnn_dagster.gridding.industrial_mask import industrial_mask


def test_without_land_use_the_factories_pixels_are_industrial_and_those_off_the_grid_ignored():
    grid = Grid(west=121.0, north=31.0, res=1 / 240, width=5, height=4)
    mask, rule = industrial_mask(None, grid, np.array([0, 3, 9, -1]), np.array([1, 4, 0, 2]))
    assert rule.startswith("pixels holding a factory")
    assert mask.sum() == 2 and mask[0, 1] and mask[3, 4]
