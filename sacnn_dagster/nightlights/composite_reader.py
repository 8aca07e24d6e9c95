"""Read a month's composite for an area of interest: only the window that covers it, from every tile."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import rasterio
from rasterio.features import geometry_mask
from rasterio.windows import Window

from sacnn_dagster.geo.grid import Grid, lattice_window
from sacnn_dagster.nightlights.eog_names import CompositeChoice, LayerSource


@dataclass
class Composite:
    """Radiance and cloud-free coverage on the area's grid; NaN outside the area or where no file covers.
    `coverage` is NaN everywhere when the source published no cf_cvg."""

    radiance: np.ndarray  # float32 (H, W), nW/cm²/sr
    coverage: np.ndarray  # float32 (H, W), cloud-free observation count
    grid: Grid


def _file_grid(ds) -> Grid:
    return Grid.from_transform(ds.transform, ds.width, ds.height)


#: Inputs are read-only to us: GDAL would otherwise leave a `.properties` index beside every .gz it reads.
_READ_ONLY_ENV = {"CPL_VSIL_GZIP_WRITE_PROPERTIES": "NO"}


@contextmanager
def _open(source: LayerSource):
    """Open a layer; anything that is not a raster (an HTML login page, a truncated file) names the file."""
    with rasterio.Env(**_READ_ONLY_ENV):
        try:
            ds = rasterio.open(source.gdal_path)
        except rasterio.errors.RasterioIOError as exc:
            raise ValueError(f"{source.file}: cannot be read as a raster ({exc})") from exc
        with ds:
            if ds.crs is not None and ds.crs.to_epsg() != 4326:
                raise ValueError(f"{source.file}: CRS {ds.crs} is not EPSG:4326 longitude/latitude")
            yield ds


def _read_into(source: LayerSource, target: np.ndarray, grid: Grid) -> None:
    """Copy the part of `source` that overlaps `grid` into `target` (same lattice required)."""
    with _open(source) as ds:
        fgrid = _file_grid(ds)
        try:
            row, col = grid.offset_in(fgrid)
        except ValueError as exc:
            raise ValueError(f"{source.file}: {exc}") from exc
        r0, c0 = max(row, 0), max(col, 0)
        r1, c1 = min(row + grid.height, fgrid.height), min(col + grid.width, fgrid.width)
        if r1 <= r0 or c1 <= c0:
            return
        data = ds.read(1, window=Window(c0, r0, c1 - c0, r1 - r0)).astype(np.float32)
        if ds.nodata is not None:
            data[data == ds.nodata] = np.nan
        target[r0 - row : r1 - row, c0 - col : c1 - col] = data


def area_grid(choice: CompositeChoice, aoi_bounds: tuple[float, float, float, float]) -> Grid:
    """The window of the composite's own pixel lattice that covers the area of interest."""
    with _open(choice.tiles[0].radiance) as ds:
        fgrid = _file_grid(ds)
    return lattice_window(aoi_bounds, origin=(fgrid.west, fgrid.north), res=fgrid.res)


def read_composite(choice: CompositeChoice, aoi_geometry) -> Composite:
    """Read the chosen composite's radiance and coverage over the area (a shapely geometry, EPSG:4326);
    pixels whose centre lies outside the area become NaN."""
    grid = area_grid(choice, aoi_geometry.bounds)
    radiance = np.full(grid.shape, np.nan, dtype=np.float32)
    coverage = np.full(grid.shape, np.nan, dtype=np.float32)
    for tile in choice.tiles:
        _read_into(tile.radiance, radiance, grid)
        if tile.coverage is not None:
            _read_into(tile.coverage, coverage, grid)
    if np.isnan(radiance).all():
        raise ValueError(
            f"{choice.month}: the composite {', '.join(choice.source_files)} does not cover the area of interest"
        )
    outside = geometry_mask([aoi_geometry], out_shape=grid.shape, transform=grid.transform, invert=False)
    radiance[outside] = np.nan
    coverage[outside] = np.nan
    return Composite(radiance=radiance, coverage=coverage, grid=grid)
