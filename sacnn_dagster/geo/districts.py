"""Districts: named polygons, rasterized onto the grid to sum GVIO per district."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
from rasterio.features import rasterize

from sacnn_dagster.geo.grid import Grid
from sacnn_dagster.geo.polygons import read_polygons


def load_districts(path: Path) -> gpd.GeoDataFrame | None:
    """districts.geojson (optional): polygons with a `name` property, EPSG:4326."""
    gdf = read_polygons(path, "name", "the district's name")
    if gdf is None:
        return None
    return gdf[["name", "geometry"]].reset_index(drop=True)


def district_index(districts: gpd.GeoDataFrame, grid: Grid) -> np.ndarray:
    """int32 raster: the row of the district whose polygon holds the pixel centre, -1 for none."""
    shapes = zip(districts.geometry, range(len(districts)), strict=True)
    return rasterize(shapes, out_shape=grid.shape, transform=grid.transform, fill=-1, dtype="int32")
