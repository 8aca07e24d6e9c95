"""Reading the region's polygon layers (boundary, districts, land use) the same way everywhere, and failing
the same way: a layer that cannot be read is a `BadInput` naming the file (and, for GeoJSON, the line and
column), never GDAL's "Failed to read GeoJSON data" without a name."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pyogrio.errors
import shapely.errors

from sacnn_dagster.config.bad_input import BadInput
from sacnn_dagster.config.geojson_text import check_geojson

#: What GDAL raises (through pyogrio) for a file it cannot read as a layer.
_UNREADABLE = (
    pyogrio.errors.DataSourceError,
    pyogrio.errors.DataLayerError,
    pyogrio.errors.FeatureError,
    pyogrio.errors.FieldError,
    pyogrio.errors.GeometryError,
    pyogrio.errors.CRSError,
    shapely.errors.GEOSException,
)


def read_polygons(path: Path, required: str | None = None, what: str = "") -> gpd.GeoDataFrame | None:
    """The layer in EPSG:4326, None when the (optional) file is absent; a missing `required` property
    raises naming the file and `what` it should hold."""
    if not path.is_file():
        return None
    if path.suffix.lower() in (".geojson", ".json"):
        check_geojson(path)  # the line and column of a syntax error, which GDAL does not give
    try:
        gdf = gpd.read_file(path)
    except _UNREADABLE as exc:
        raise BadInput(f"cannot be read as polygons: {' '.join(str(exc).split())}", path) from None
    if required is not None and required not in gdf.columns:
        raise BadInput(f"polygons need a `{required}` property{f' ({what})' if what else ''}", path)
    if gdf.crs is not None and gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs(4326)
    return gdf
