"""Where the paper's grid may put output: industrial land, or the factories' own pixels without a land-use
layer."""

from __future__ import annotations

import numpy as np

from sacnn_dagster.geo.grid import Grid
from sacnn_dagster.geo.landuse import INDUSTRIAL, LANDUSE_CLASSES, LandUse, rasterize_landuse


def industrial_mask(landuse: LandUse | None, grid: Grid, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, str]:
    """(bool mask on `grid`, the rule used): EULUC class 301 of `landuse`, or the pixels holding a factory
    (`rows`, `cols` on the grid; those off it ignored) when the region has no land-use layer."""
    if landuse is not None:
        return rasterize_landuse(landuse, grid) == LANDUSE_CLASSES.index(INDUSTRIAL), (
            "EULUC class 301 (industrial) in landuse.geojson"
        )
    mask = np.zeros(grid.shape, bool)
    ok = (rows >= 0) & (rows < grid.height) & (cols >= 0) & (cols < grid.width)
    mask[rows[ok], cols[ok]] = True
    return mask, "pixels holding a factory (no land-use layer)"
