"""From a monthly GVIO estimate to the pixel grid through the factories: each factory's share of the month
(from a model that adds factories up, `models.factory_output`) placed on the pixel that holds it.

Industrial output happens where the plants are; spreading it by light instead sends part of it to bright
warehouses, roads and housing on industrial land, and misses plants that emit little light. The factory
grid adds up to the estimate exactly: the shares of factories outside the area (or off the grid) are
handed to the others in proportion, and if no factory inside has any share the estimate is spread evenly
over the factories inside.
"""

from __future__ import annotations

import numpy as np

from sacnn_dagster.gridding.gvio_grid import GvioGrid


def spread_on_factories(
    estimate: float, shares: np.ndarray, rows: np.ndarray, cols: np.ndarray, inside: np.ndarray
) -> GvioGrid:
    """`shares` (N,) of the factories at pixels `rows`, `cols` (N,); `inside` bool (H, W) mask of the
    area of interest."""
    h, w = inside.shape
    rows, cols = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
    on_grid = (rows >= 0) & (rows < h) & (cols >= 0) & (cols < w)
    flat = np.where(on_grid, rows * w + cols, 0)
    here = on_grid & inside.ravel()[flat]
    weights = np.where(here, np.clip(np.nan_to_num(np.asarray(shares, dtype=np.float64)), 0.0, None), 0.0)
    spread_evenly = not weights.sum() > 0
    if spread_evenly:
        weights = here.astype(np.float64)
    total = weights.sum()
    summed = np.bincount(flat[here], weights=weights[here], minlength=h * w).reshape(h, w)
    gvio = np.where(inside, summed * (estimate / total) if total > 0 else 0.0, np.nan)
    return GvioGrid(
        gvio=gvio,
        threshold=float("inf"),
        pixels_used=int((summed > 0).sum()),
        pixels_bright_excluded=0,
        pixels_not_observed=0,
        spread_evenly=spread_evenly,
    )
