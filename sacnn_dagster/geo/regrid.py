"""Conservative (sum-preserving) regridding between two north-up rasters of the same CRS.

For two axis-aligned lattices the overlap of a source pixel with a target pixel is the product of their
overlaps along x and along y, so the whole regridding is two small matrix products: each source pixel's
value is split among the target pixels in proportion to the area it shares with them. A quantity that is a
sum per pixel (GVIO) keeps its total, whether the source pixels are finer, coarser or offset. GDAL's
`Resampling.sum` does the same in principle, but splits pixels whose edges fall on the target's edges
unevenly (0.5 of a pixel's value misplaced at the western edge in a 1.3x coarsening, measured): this is
exact to float rounding.

Areas are measured in the CRS's units (degrees for EPSG:4326); over a city's extent the change of a
degree's area with latitude is well under a part per thousand between neighbouring pixels.
"""

from __future__ import annotations

import numpy as np

from sacnn_dagster.geo.grid import Grid

#: Overlaps below this fraction of a source pixel are float noise where two edges coincide.
_NOISE = 1e-9


def overlap_fractions(src_edges: np.ndarray, dst_edges: np.ndarray) -> np.ndarray:
    """(n_dst, n_src): the fraction of each source interval that lies in each target interval; both edge
    arrays increasing."""
    lo = np.maximum(dst_edges[:-1, None], src_edges[None, :-1])
    hi = np.minimum(dst_edges[1:, None], src_edges[None, 1:])
    fraction = np.clip(hi - lo, 0.0, None) / np.diff(src_edges)[None, :]
    fraction[fraction < _NOISE] = 0.0
    return fraction


def _axes(grid: Grid) -> tuple[np.ndarray, np.ndarray]:
    """Increasing edges along x (west to east) and along y (north to south, as distance from the north)."""
    x = grid.west + np.arange(grid.width + 1) * grid.res
    y = -grid.north + np.arange(grid.height + 1) * grid.res
    return x, y


def sum_onto(values: np.ndarray, src: Grid, dst: Grid) -> np.ndarray:
    """`values` on `src` summed onto `dst`, area-weighted. A target pixel that shares any area with a
    non-finite source pixel (nodata) is NaN: its sum would be incomplete. Target pixels outside `src` are
    0 when they share no area with it; callers that need them marked compare extents."""
    src_x, src_y = _axes(src)
    dst_x, dst_y = _axes(dst)
    wx = overlap_fractions(src_x, dst_x)
    wy = overlap_fractions(src_y, dst_y)
    values = np.asarray(values, dtype=np.float64)
    missing = ~np.isfinite(values)
    summed = wy @ np.where(missing, 0.0, values) @ wx.T
    if missing.any():
        summed[(wy @ missing.astype(np.float64) @ wx.T) > 0] = np.nan
    return summed
