"""Reading a raster that someone else made onto our grid: the window of our grid when it shares our pixel
lattice (an EOG tile or any larger extent), its values summed onto our pixels when it does not."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import rasterio
from rasterio.windows import Window

from sacnn_dagster.geo.grid import Grid
from sacnn_dagster.geo.regrid import sum_onto


def _read(ds, row: int, col: int, height: int, width: int) -> np.ndarray:
    """Band 1 over a window that may reach beyond the file: NaN there and where the file has nodata."""
    window = Window(col, row, width, height)
    data = ds.read(1, window=window, boundless=True, masked=True).astype(np.float64)
    return data.filled(np.nan)


def _check_geometry(ds, grid: Grid) -> Grid:
    if ds.crs is None:
        raise ValueError("has no coordinate reference system (the grid's is EPSG:4326)")
    if ds.crs.to_epsg() != 4326:
        raise ValueError(f"is in {ds.crs.to_string()}, not the grid's EPSG:4326: reproject it first")
    source = Grid.from_transform(ds.transform, ds.width, ds.height)
    w, s, e, n = source.bounds
    gw, gs, ge, gn = grid.bounds
    if w >= ge or e <= gw or s >= gn or n <= gs:
        raise ValueError(f"covers {source.bounds}, none of the grid's {grid.bounds}")
    return source


def read_on_grid(path: str | Path, grid: Grid) -> tuple[np.ndarray, str]:
    """Band 1 of `path` on `grid` (float64, NaN where the file has no data or does not reach), and how it
    got there: 'window' (same lattice: the pixels themselves, nothing resampled) or 'summed' (another
    lattice: each of its pixels split among ours by shared area, so totals are kept; for quantities that
    are sums per pixel, such as GVIO). A file in another CRS, not north-up, or not covering the grid at all
    raises ValueError saying why (without the path: callers name the file)."""
    with rasterio.open(path) as ds:
        source = _check_geometry(ds, grid)
        try:
            row, col = grid.offset_in(source)
        except ValueError:
            pass
        else:
            return _read(ds, row, col, grid.height, grid.width), "window"
        # another lattice: read only the source pixels that touch the grid, then split them among ours
        col0 = math.floor((grid.west - source.west) / source.res)
        row0 = math.floor((source.north - grid.north) / source.res)
        col1 = math.ceil((grid.west + grid.width * grid.res - source.west) / source.res)
        row1 = math.ceil((source.north - grid.north + grid.height * grid.res) / source.res)
        values = _read(ds, row0, col0, row1 - row0, col1 - col0)
    window = Grid(
        west=source.west + col0 * source.res,
        north=source.north - row0 * source.res,
        res=source.res,
        width=col1 - col0,
        height=row1 - row0,
    )
    return sum_onto(values, window, grid), "summed"
