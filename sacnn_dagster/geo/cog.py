"""Cloud-Optimized GeoTIFF writing and validation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import rasterio
from rasterio.crs import CRS
from rio_cogeo.cogeo import cog_validate

from sacnn_dagster.geo.grid import Grid

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
    check it with rio-cogeo's validator; an invalid COG raises."""
    data = np.stack([b.astype(np.float32) for b in bands])
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
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
        for i, d in enumerate(descriptions, start=1):
            dst.set_band_description(i, d)
        if tags:
            dst.update_tags(**tags)
    valid, errors, _warnings = cog_validate(str(path), quiet=True)
    if not valid:
        raise ValueError(f"{path}: not a valid Cloud-Optimized GeoTIFF: {errors}")


def read_band(path: str | Path, band: int = 1) -> tuple[np.ndarray, Grid]:
    with rasterio.open(path) as ds:
        return ds.read(band).astype(np.float32), Grid.from_transform(ds.transform, ds.width, ds.height)
