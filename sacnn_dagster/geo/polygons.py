"""Reading the region's polygon layers (boundary, districts, land use) the same way everywhere."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd


def read_polygons(path: Path, required: str | None = None, what: str = "") -> gpd.GeoDataFrame | None:
    """The layer in EPSG:4326, None when the (optional) file is absent; a missing `required` property
    raises naming the file and `what` it should hold."""
    if not path.is_file():
        return None
    gdf = gpd.read_file(path)
    if required is not None and required not in gdf.columns:
        raise ValueError(f"{path}: polygons need a `{required}` property{f' ({what})' if what else ''}")
    if gdf.crs is not None and gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs(4326)
    return gdf
