"""Land use on the night-light grid: EULUC-China Level-2 classes rasterized by pixel centre."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
from rasterio.features import rasterize

from sacnn_dagster.geo.grid import Grid
from sacnn_dagster.geo.polygons import read_polygons

#: EULUC-China Level-2 codes used as features, in their fixed feature order (index = position).
LANDUSE_CLASSES = (101, 201, 202, 301, 401, 402, 403, 501, 502, 503, 504, 505)
INDUSTRIAL = 301
NO_CLASS = -1


@dataclass
class LandUse:
    polygons: gpd.GeoDataFrame  # geometry + integer `class`, only known classes, EPSG:4326
    unknown_class_polygons: int


def load_landuse(path: Path) -> LandUse | None:
    """Read landuse.geojson (optional: None when absent). Polygons with a class outside
    LANDUSE_CLASSES are left out and counted; a layer without a `class` property raises."""
    gdf = read_polygons(path, "class", "EULUC Level-2 code, 301 = industrial")
    if gdf is None:
        return None
    codes = gdf["class"].astype(str).str.strip().str.extract(r"^(\d+)")[0].astype(float)
    known = codes.isin(LANDUSE_CLASSES)
    out = gdf[known].copy()
    out["class"] = codes[known].astype(int)
    return LandUse(
        polygons=out[["class", "geometry"]].reset_index(drop=True), unknown_class_polygons=int((~known).sum())
    )


def rasterize_landuse(landuse: LandUse | None, grid: Grid) -> np.ndarray:
    """int16 raster of class *indices* into LANDUSE_CLASSES, NO_CLASS where no parcel covers the pixel
    centre. Small parcels whose polygon misses every pixel centre drop out, as the paper dropped pieces
    under ~0.03 km² (a pixel is ~0.2 km²)."""
    if landuse is None or landuse.polygons.empty:
        return np.full(grid.shape, NO_CLASS, dtype=np.int16)
    index = {code: i for i, code in enumerate(LANDUSE_CLASSES)}
    shapes = zip(landuse.polygons.geometry, landuse.polygons["class"].map(index), strict=True)
    return rasterize(shapes, out_shape=grid.shape, transform=grid.transform, fill=NO_CLASS, dtype="int16")
