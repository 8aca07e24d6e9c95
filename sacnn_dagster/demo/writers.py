"""File encodings of the demo region, byte-for-byte deterministic: EOG composites (plain GeoTIFF pairs, tile
archives, gzip'd global files), GeoJSON layers, CSV tables."""

from __future__ import annotations

import calendar
import gzip
import io
import tarfile
from pathlib import Path

import geopandas as gpd
import numpy as np
from rasterio.io import MemoryFile

from sacnn_dagster.demo.spec import year_month
from sacnn_dagster.geo.grid import Grid

#: Encodings of a month's composite at EOG.
PLAIN, TILE_ARCHIVE, GLOBAL_GZIP = "tif", "tgz", "global-gz"


def geotiff_bytes(array: np.ndarray, grid: Grid, tags: dict | None = None) -> bytes:
    """A single-band north-up EPSG:4326 GeoTIFF, tiled and DEFLATE-compressed, no nodata, no date tags."""
    profile = {
        "driver": "GTiff",
        "width": grid.width,
        "height": grid.height,
        "count": 1,
        "dtype": array.dtype.name,
        "crs": "EPSG:4326",
        "transform": grid.transform,
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
        "compress": "deflate",
    }
    with MemoryFile() as memfile:
        with memfile.open(**profile) as dst:
            dst.write(array, 1)
            if tags:
                dst.update_tags(**tags)
        return memfile.read()


def gzip_bytes(data: bytes, inner_name: str) -> bytes:
    """gzip with a fixed header (mtime 0), naming the uncompressed file like the gzip tool does."""
    buffer = io.BytesIO()
    with gzip.GzipFile(filename=inner_name, mode="wb", fileobj=buffer, mtime=0) as gz:
        gz.write(data)
    return buffer.getvalue()


def tgz_bytes(members: list[tuple[str, bytes]]) -> bytes:
    """A gzip'd tar of the members with fixed metadata (mtime 0, uid/gid 0, no owner names)."""
    tar_buffer = io.BytesIO()
    with tarfile.open(fileobj=tar_buffer, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    return gzip_bytes(tar_buffer.getvalue(), "")


def composite_stem(month: str, stamp: str, satellite: str = "npp", tile: str = "75N060E") -> str:
    """EOG's name without layer/extension, e.g. SVDNB_npp_20140101-20140131_75N060E_vcmcfg_v10_c201402101200."""
    y, m = year_month(month)
    last = calendar.monthrange(y, m)[1]
    return f"SVDNB_{satellite}_{y:04d}{m:02d}01-{y:04d}{m:02d}{last:02d}_{tile}_vcmcfg_v10_c{stamp}"


def write_composite(
    nightlights_dir: Path,
    month: str,
    stamp: str,
    radiance: np.ndarray,
    coverage: np.ndarray,
    grid: Grid,
    encoding: str = PLAIN,
    satellite: str = "npp",
) -> list[Path]:
    """Write one composite version in EOG's folder tree (`{YYYY}/{YYYYMM}/[NOAA-20/]vcmcfg/`)."""
    y, m = year_month(month)
    folder = nightlights_dir / f"{y:04d}" / f"{y:04d}{m:02d}"
    if satellite == "j01":
        folder = folder / "NOAA-20"
    folder = folder / "vcmcfg"
    folder.mkdir(parents=True, exist_ok=True)
    tile = "global" if encoding == GLOBAL_GZIP else "75N060E"
    stem = composite_stem(month, stamp, satellite, tile)
    layers = [
        (f"{stem}.avg_rade9h.tif", geotiff_bytes(radiance, grid)),
        (f"{stem}.cf_cvg.tif", geotiff_bytes(coverage, grid)),
    ]

    if encoding == TILE_ARCHIVE:
        files = {f"{stem}.tgz": tgz_bytes(layers)}
    elif encoding == GLOBAL_GZIP:
        files = {f"{name}.gz": gzip_bytes(data, name) for name, data in layers}
    else:
        files = dict(layers)
    paths = []
    for name, data in files.items():
        (folder / name).write_bytes(data)
        paths.append(folder / name)
    return paths


def write_geojson(gdf: gpd.GeoDataFrame, path: Path) -> None:
    """GeoJSON in EPSG:4326, UTF-8 (GDAL's GeoJSON driver always writes UTF-8)."""
    gdf.to_crs("EPSG:4326").to_file(path, driver="GeoJSON", engine="pyogrio")


def write_truth_grid(path: Path, grid_values: np.ndarray, grid: Grid) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(geotiff_bytes(grid_values.astype(np.float32), grid, tags={"units": "亿元"}))
