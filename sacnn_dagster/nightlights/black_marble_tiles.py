"""NASA Black Marble VNP46A3 tiles: their names, their place on the lattice, and reading one layer of them
over an area through GDAL's HDF5 driver.

A tile hXXvYY covers lon -180+10·XX .. -170+10·XX and lat 90-10·YY .. 80-10·YY in 2400 x 2400 pixels of
1/240 degree whose *edges* sit on round degrees. The tile's place comes from its name: the datasets carry no
georeferencing of their own (GDAL >= 3.8 derives one from the HDF-EOS5 StructMetadata.0 when it can; then
it must agree with the name, or the file is refused rather than read at the wrong place).

Each composite layer `L` (e.g. `NearNadir_Composite_Snow_Free`) comes with `L_Num` (observations used),
`L_Std` and `L_Quality`. The fill value and scale/offset are read from each dataset's own attributes:
collection 2 stores float radiance, collection 1 stored uint16 tenths with fill 65535.
"""

from __future__ import annotations

import re
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from rasterio.windows import Window

from sacnn_dagster.config.months import month_key, parse_month
from sacnn_dagster.geo.grid import BLACK_MARBLE_ORIGIN, EOG_RES, Grid, lattice_window

# Black Marble's HDF5 datasets carry no geotransform by design (the tile name gives it); GDAL's warning
# would otherwise repeat for every read. A process-wide filter, because warnings.catch_warnings is not
# thread-safe and tiles are read in parallel.
warnings.filterwarnings("ignore", category=rasterio.errors.NotGeoreferencedWarning)

TILE_PIXELS = 2400
RES = EOG_RES  # the same 15 arc-seconds, on another lattice
ORIGIN = BLACK_MARBLE_ORIGIN
_GLOBE = Grid(west=ORIGIN[0], north=ORIGIN[1], res=RES, width=36 * TILE_PIXELS, height=18 * TILE_PIXELS)

#: `L_Quality` codes (Black Marble user guide, VNP46A3/A4 table).
QUALITY_GOOD = 0  # more than 3 observations
QUALITY_POOR = 1  # 3 observations or fewer
QUALITY_GAP_FILLED = 2  # no observation this month: filled from earlier retrievals
QUALITY_FILL = 255

_NAME = re.compile(
    r"^VNP46A3\.A(?P<year>\d{4})(?P<doy>\d{3})\.h(?P<h>\d{2})v(?P<v>\d{2})"
    r"\.(?P<collection>\d{3})\.(?P<stamp>\d{13})\.h5$"
)


@dataclass(frozen=True)
class TileFile:
    """What a tile's file name says: `VNP46A3.A2014001.h30v05.002.2024104121212.h5`."""

    name: str
    year: int
    doy: int
    h: int
    v: int
    collection: str
    stamp: str

    @property
    def tile(self) -> str:
        return f"h{self.h:02d}v{self.v:02d}"

    @property
    def month(self) -> str:
        return month_key(date(self.year, 1, 1) + timedelta(days=self.doy - 1))

    @property
    def grid(self) -> Grid:
        return Grid(west=-180.0 + 10 * self.h, north=90.0 - 10 * self.v, res=RES, width=TILE_PIXELS, height=TILE_PIXELS)


def parse_tile_name(name: str) -> TileFile | None:
    """The parsed name, or None for anything that is not a monthly Black Marble tile."""
    m = _NAME.match(name)
    if m is None:
        return None
    return TileFile(
        name=name,
        year=int(m["year"]),
        doy=int(m["doy"]),
        h=int(m["h"]),
        v=int(m["v"]),
        collection=m["collection"],
        stamp=m["stamp"],
    )


def month_doy(month: str) -> tuple[int, str]:
    """(year, 'DOY') of the archive folder of a month: monthly composites sit under the month's first day."""
    first = parse_month(month)
    return first.year, f"{first.timetuple().tm_yday:03d}"


def folder_month(folder: str) -> str | None:
    """The month whose archive folder is `folder` ('YYYY/DOY'); None for any other folder."""
    year, _, doy = folder.partition("/")
    if not (year.isdigit() and len(year) == 4 and doy):
        return None
    return next((m for m in (f"{year}-{mm:02d}" for mm in range(1, 13)) if month_doy(m)[1] == doy), None)


def area_grid(bounds: tuple[float, float, float, float]) -> Grid:
    """The window of the Black Marble lattice covering `bounds` (lon/lat), snapped outward."""
    return lattice_window(bounds, origin=ORIGIN, res=RES)


def tiles_covering(grid: Grid) -> list[str]:
    """Names (hXXvYY) of the tiles that share at least one pixel with `grid` (a window of the lattice):
    an area whose edge lies exactly on a tile boundary does not pull in the neighbour."""
    row, col = grid.offset_in(_GLOBE)
    hs = range(max(col, 0) // TILE_PIXELS, (min(col + grid.width, _GLOBE.width) - 1) // TILE_PIXELS + 1)
    vs = range(max(row, 0) // TILE_PIXELS, (min(row + grid.height, _GLOBE.height) - 1) // TILE_PIXELS + 1)
    return [f"h{h:02d}v{v:02d}" for v in vs for h in hs]


@dataclass
class Mosaic:
    """One layer and its companions on an area's grid, in physical units; no quality rule applied yet.
    Pixels no tile covers are NaN (radiance, coverage) and QUALITY_FILL (quality)."""

    radiance: np.ndarray  # float32, nW/cm²/sr
    coverage: np.ndarray  # float32, observations (`L_Num`)
    quality: np.ndarray  # uint8, `L_Quality` codes
    grid: Grid


@dataclass(frozen=True)
class TileSource:
    """A downloaded tile: the parsed name, the local file, and what to call it in messages (its URL)."""

    file: TileFile
    path: Path
    label: str


def read_mosaic(tiles: list[TileSource], layer: str, grid: Grid) -> Mosaic:
    """Read `layer`, `layer_Num` and `layer_Quality` over `grid` from every tile; only the window of each
    tile that overlaps the grid is read."""
    mosaic = Mosaic(
        radiance=np.full(grid.shape, np.nan, dtype=np.float32),
        coverage=np.full(grid.shape, np.nan, dtype=np.float32),
        quality=np.full(grid.shape, QUALITY_FILL, dtype=np.uint8),
        grid=grid,
    )
    for tile in tiles:
        _read_tile_into(tile, layer, mosaic)
    return mosaic


def _read_tile_into(tile: TileSource, layer: str, mosaic: Mosaic) -> None:
    tgrid = tile.file.grid
    row, col = mosaic.grid.offset_in(tgrid)
    r0, c0 = max(row, 0), max(col, 0)
    r1, c1 = min(row + mosaic.grid.height, tgrid.height), min(col + mosaic.grid.width, tgrid.width)
    if r1 <= r0 or c1 <= c0:
        return
    window = Window(c0, r0, c1 - c0, r1 - r0)
    target = (slice(r0 - row, r1 - row), slice(c0 - col, c1 - col))
    names = _subdatasets(tile)
    for suffix, out in (("", mosaic.radiance), ("_Num", mosaic.coverage), ("_Quality", mosaic.quality)):
        name = layer + suffix
        if name not in names:
            raise ValueError(
                f"{tile.label}: no dataset {name!r} in the file (it has: {', '.join(sorted(names)) or 'none'})"
            )
        with _open(names[name], tile.label) as ds:
            _check_place(ds, tile, name)
            raw = ds.read(1, window=window)
            out[target] = raw if out.dtype == np.uint8 else _physical(raw, ds, tile.label, name)


@contextmanager
def _open(gdal_path: str, label: str):
    """Open through GDAL; a file that is no HDF5 (a login page, a truncated download) names its URL."""
    try:
        ds = rasterio.open(gdal_path)
    except rasterio.errors.RasterioIOError as exc:
        raise ValueError(f"{label}: cannot be read as a Black Marble HDF5 tile ({exc})") from exc
    with ds:
        yield ds


def _subdatasets(tile: TileSource) -> dict[str, str]:
    """Dataset name -> GDAL subdataset path. GDAL spells the group `Data_Fields` (spaces become
    underscores), so the paths are taken from its own list rather than built by hand."""
    with _open(str(tile.path), tile.label) as ds:
        return {sub.rsplit("/", 1)[-1]: sub for sub in ds.subdatasets}


def _check_place(ds, tile: TileSource, name: str) -> None:
    tgrid = tile.file.grid
    if (ds.width, ds.height) != (tgrid.width, tgrid.height):
        raise ValueError(
            f"{tile.label}: {name} is {ds.width} x {ds.height} pixels, a Black Marble tile is "
            f"{TILE_PIXELS} x {TILE_PIXELS}"
        )
    if ds.transform == Affine.identity():
        return
    own = Grid.from_transform(ds.transform, ds.width, ds.height)
    try:
        placed = own.offset_in(tgrid) == (0, 0)
    except ValueError:
        placed = False
    if not placed:
        raise ValueError(
            f"{tile.label}: the file georeferences {name} at {own.bounds}, but its name {tile.file.tile} "
            f"means {tgrid.bounds}"
        )


def _physical(raw: np.ndarray, ds, label: str, name: str) -> np.ndarray:
    """Raw values -> physical float32 with NaN for the dataset's `_FillValue` (GDAL's nodata), using its
    own `scale_factor` and `add_offset` (spelled `offset` in some collection 2 files)."""
    tags = ds.tags(1)
    fill = ds.nodata
    try:
        scale = float(tags.get("scale_factor", 1.0))
        offset = float(tags.get("add_offset", tags.get("offset", 0.0)))
    except ValueError as exc:
        raise ValueError(f"{label}: {name} has an unreadable scale_factor/offset attribute ({exc})") from exc
    values = raw.astype(np.float64) * scale + offset
    if fill is not None:
        values[raw == np.asarray(fill).astype(raw.dtype)] = np.nan
    return values.astype(np.float32)


def apply_quality(mosaic: Mosaic) -> None:
    """The quality rule, in place:

    - fill (255, and any code the user guide does not define): no retrieval, radiance and coverage NaN;
    - gap-filled (2): the radiance is an earlier month's, not an observation of this one, so the pixel
      counts as not observed: coverage 0 (the cleaning step then drops it, as it drops EOG's cf_cvg == 0);
    - poor (1, 3 observations or fewer) and good (0) are kept; the coverage band carries the count, so the
      weight of a poorly observed pixel is decided downstream the same way as for EOG.
    """
    q = mosaic.quality
    fill = ~np.isin(q, (QUALITY_GOOD, QUALITY_POOR, QUALITY_GAP_FILLED))
    mosaic.radiance[fill] = np.nan
    mosaic.coverage[fill] = np.nan
    mosaic.coverage[q == QUALITY_GAP_FILLED] = 0.0


def quality_counts(quality: np.ndarray, inside: np.ndarray) -> dict[str, int]:
    """How many pixels inside the area carry each quality code (undefined codes count as fill)."""
    q = quality[inside]
    counts = {
        "good": int((q == QUALITY_GOOD).sum()),
        "poor": int((q == QUALITY_POOR).sum()),
        "gap_filled": int((q == QUALITY_GAP_FILLED).sum()),
    }
    counts["fill"] = int(q.size - sum(counts.values()))
    return counts
