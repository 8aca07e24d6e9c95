"""Cloud-Optimized GeoTIFF writing and validation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import rasterio
from rasterio.crs import CRS
from rio_cogeo.cogeo import cog_validate

from sacnn_dagster.geo.grid import Grid
from sacnn_dagster.geo.write_errors import diagnose_write_error

WGS84 = CRS.from_epsg(4326)


def write_cog(
    path: str | Path,
    bands: list[np.ndarray],
    grid: Grid,
    descriptions: list[str],
    tags: dict[str, str] | None = None,
    nodata: float = float("nan"),
) -> None:
    """Write float32 bands as a DEFLATE-compressed COG (deterministic bytes for the same input) and
    check it with rio-cogeo's validator; an invalid COG raises. A write GDAL reports only as an "IO error"
    raises an OSError with the errno, the OS reason and the path when the file system explains it (full, read-only,
    not writable): that fault is permanent, the GDAL error is not telling."""
    try:
        _write(path, bands, grid, descriptions, tags, nodata)
    except Exception as exc:
        fault = diagnose_write_error(path, exc, needed_bytes=sum(4 * b.size for b in bands))
        if fault is None:
            raise
        raise fault from exc
    valid, errors, _warnings = cog_validate(str(path), quiet=True)
    if not valid:
        raise ValueError(f"{path}: not a valid Cloud-Optimized GeoTIFF: {errors}")


def _write(
    path, bands: list[np.ndarray], grid: Grid, descriptions: list[str], tags: dict | None, nodata: float
) -> None:
    """Band by band, each converted to float32 only when it is not already: no stacked copy of every band
    (a country's month is 280 MB a band)."""
    profile = dict(
        driver="COG",
        width=grid.width,
        height=grid.height,
        count=len(bands),
        dtype="float32",
        crs=WGS84,
        transform=grid.transform,
        nodata=nodata,
        compress="DEFLATE",
        predictor=2,
        blocksize=256,
        overview_resampling="average",
        BIGTIFF="IF_SAFER",
    )
    # the tiles compressed on every core: the same bytes (each tile is compressed alone and written in
    # order), a country's month written about twice as fast on two cores
    with rasterio.Env(GDAL_NUM_THREADS="ALL_CPUS"), rasterio.open(path, "w", **profile) as dst:
        for i, band in enumerate(bands, start=1):
            dst.write(np.asarray(band).astype(np.float32, copy=False), i)
        for i, d in enumerate(descriptions, start=1):
            dst.set_band_description(i, d)
        if tags:
            dst.update_tags(**tags)


#: Reading a whole band: its tiles decoded on every core, and a 64 MB block cache (in bytes: rasterio sets it as
#: such, restored afterwards), since each tile is read
#: once. GDAL's default cache (5 % of the machine's memory) otherwise holds a copy of what was just read: 500 MB
#: more at the peak for a country's band on a 24 GB machine, for no speed.
READ_ENV = {"GDAL_NUM_THREADS": "ALL_CPUS", "GDAL_CACHEMAX": 64 * 2**20}


def read_band(path: str | Path, band: int = 1) -> tuple[np.ndarray, Grid]:
    """One band as float32 (not copied when it is float32 already)."""
    with rasterio.Env(**READ_ENV), rasterio.open(path) as ds:
        data = ds.read(band).astype(np.float32, copy=False)
        return data, Grid.from_transform(ds.transform, ds.width, ds.height)
