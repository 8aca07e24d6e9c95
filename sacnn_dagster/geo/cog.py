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
    data = np.stack([b.astype(np.float32) for b in bands])
    try:
        _write(path, data, grid, descriptions, tags, nodata)
    except Exception as exc:
        fault = diagnose_write_error(path, exc, needed_bytes=data.nbytes)
        if fault is None:
            raise
        raise fault from exc
    valid, errors, _warnings = cog_validate(str(path), quiet=True)
    if not valid:
        raise ValueError(f"{path}: not a valid Cloud-Optimized GeoTIFF: {errors}")


def _write(path, data: np.ndarray, grid: Grid, descriptions: list[str], tags: dict | None, nodata: float) -> None:
    profile = dict(
        driver="COG",
        width=grid.width,
        height=grid.height,
        count=data.shape[0],
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
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
        for i, d in enumerate(descriptions, start=1):
            dst.set_band_description(i, d)
        if tags:
            dst.update_tags(**tags)


def read_band(path: str | Path, band: int = 1) -> tuple[np.ndarray, Grid]:
    with rasterio.open(path) as ds:
        return ds.read(band).astype(np.float32), Grid.from_transform(ds.transform, ds.width, ds.height)
