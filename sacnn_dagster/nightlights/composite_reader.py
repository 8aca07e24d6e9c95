"""Read a month's composite for an area of interest: only the window that covers it, from every tile."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import rasterio
from rasterio._err import CPLE_BaseError  # GDAL errors rasterio passes on as they are
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


class UnreadableComposite(ValueError):
    """A composite file GDAL cannot open or read to its end (zero bytes, truncated, an HTML page): names the
    file, so that a source can pass over it to an older version of the same month and report it."""

    def __init__(self, file, reason: str):
        super().__init__(f"{file}: cannot be read as a raster ({reason})")
        self.file = file


def _file_grid(ds) -> Grid:
    return Grid.from_transform(ds.transform, ds.width, ds.height)


#: Inputs are read-only to us: GDAL would otherwise leave a `.properties` index beside every .gz it reads.
#: A window is read once: its tiles decoded on every core, through a 64 MB block cache (bytes) rather than
#: GDAL's default 5 % of the machine's memory, which would hold a second copy of a country's window.
_READ_ONLY_ENV = {
    "CPL_VSIL_GZIP_WRITE_PROPERTIES": "NO",
    "GDAL_NUM_THREADS": "ALL_CPUS",
    "GDAL_CACHEMAX": 64 * 2**20,
}


@contextmanager
def _open(source: LayerSource):
    """Open a layer; anything that is not a raster (an HTML login page, a truncated file) names the file."""
    with rasterio.Env(**_READ_ONLY_ENV):
        try:
            ds = rasterio.open(source.gdal_path)
        except rasterio.errors.RasterioIOError as exc:
            raise UnreadableComposite(source.file, str(exc)) from exc
        with ds:
            if ds.crs is not None and ds.crs.to_epsg() != 4326:
                raise ValueError(f"{source.file}: CRS {ds.crs} is not EPSG:4326 longitude/latitude")
            yield ds


def layer_grid(source: LayerSource) -> Grid:
    """The pixel grid of one layer, from its header only (cheap: no pixel is read)."""
    with _open(source) as ds:
        return _file_grid(ds)


def off_lattice(fgrid: Grid, lattice: Grid) -> str | None:
    """Why `fgrid` is not on `lattice`'s pixel lattice (same pixel size, whole-pixel offset), or None."""
    try:
        lattice.offset_in(fgrid)
    except ValueError as exc:
        return str(exc)
    return None


def _read_into(source: LayerSource, target: np.ndarray, grid: Grid, lattice_named: str) -> None:
    """Copy the part of `source` that overlaps `grid` into `target`; a file off the region's lattice is refused,
    naming it (and not its partner layer, which may be fine)."""
    with _open(source) as ds:
        fgrid = _file_grid(ds)
        if (why := off_lattice(fgrid, grid)) is not None:
            raise ValueError(f"{source.file}: not on the region's pixel lattice ({lattice_named}): {why}")
        row, col = grid.offset_in(fgrid)
        r0, c0 = max(row, 0), max(col, 0)
        r1, c1 = min(row + grid.height, fgrid.height), min(col + grid.width, fgrid.width)
        if r1 <= r0 or c1 <= c0:
            return
        try:
            data = ds.read(1, window=Window(c0, r0, c1 - c0, r1 - r0)).astype(np.float32, copy=False)
        except (rasterio.errors.RasterioError, CPLE_BaseError) as exc:
            # GDAL's own words ("Read failed. See previous exception...") name no file: a truncated composite
            raise UnreadableComposite(source.file, f"truncated or damaged: {exc}") from exc
        if ds.nodata is not None:
            data[data == ds.nodata] = np.nan
        target[r0 - row : r1 - row, c0 - col : c1 - col] = data


def area_grid(
    choice: CompositeChoice, aoi_bounds: tuple[float, float, float, float], lattice: Grid | None = None
) -> Grid:
    """The window of the region's pixel lattice (`lattice`, else the composite's own) that covers the area."""
    fgrid = lattice if lattice is not None else layer_grid(choice.tiles[0].radiance)
    return lattice_window(aoi_bounds, origin=(fgrid.west, fgrid.north), res=fgrid.res)


def read_composite(
    choice: CompositeChoice, aoi_geometry, lattice: Grid | None = None, lattice_source: str = ""
) -> Composite:
    """Read the chosen composite's radiance and coverage over the area (a shapely geometry, EPSG:4326);
    pixels whose centre lies outside the area become NaN. Every file must lie on `lattice` (the region's: its
    first month's, named by `lattice_source`), else on the radiance's own: a month half a pixel off would
    break every later step that stacks months, naming none."""
    grid = area_grid(choice, aoi_geometry.bounds, lattice)
    named = f"that of {lattice_source}" if lattice_source else "that of its radiance file"
    radiance = np.full(grid.shape, np.nan, dtype=np.float32)
    coverage = np.full(grid.shape, np.nan, dtype=np.float32)
    for tile in choice.tiles:
        _read_into(tile.radiance, radiance, grid, named)
        if tile.coverage is not None:
            _read_into(tile.coverage, coverage, grid, named)
    if np.isnan(radiance).all():
        raise ValueError(
            f"{choice.month}: the composite {', '.join(choice.source_files)} does not cover the area of interest"
        )
    outside = geometry_mask([aoi_geometry], out_shape=grid.shape, transform=grid.transform, invert=False)
    radiance[outside] = np.nan
    coverage[outside] = np.nan
    return Composite(radiance=radiance, coverage=coverage, grid=grid)
