"""A static STAC catalogue of every monthly output, rebuilt from what is stored.

    stac/catalog.json                     the catalogue: one child collection per output that has files
    stac/<output>/collection.json         e.g. stac/gvio_grid/collection.json: extent, license, item links
    stac/<output>/YYYY-MM.json            one item per month: its file as the asset `data`

Every href is relative (pystac's SELF_CONTAINED catalogue; an item's asset is `../../gvio_grid/2021-01.tif`),
so the storage root can be moved, copied or served as it is. Raster items are made by rio-stac from the COG
itself (footprint, projection and raster extensions: bands, nodata, data type, statistics); table items take
the footprint of the month's raster. Each item says its month (`start_datetime`/`end_datetime`, `datetime`
the month's first instant), the model version (`sacnn:model_version`, from the file's tag or column) and the
version of the month's night-light composite (`sacnn:source_version`, the `ntl_composite` tag).

Nothing in the JSON depends on when it is built: the same stored files give the same bytes.
`publish_catalog` writes items first, then collections, then `catalog.json` (each file atomically through the
store), so a reader never follows a link to an item that is not there yet."""

from __future__ import annotations

import calendar
import datetime as dt
import tempfile
from collections.abc import Iterable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

import pyarrow.parquet as pq
import pystac
import rasterio
from rio_stac import create_stac_item

from sacnn_dagster.io.layout import month_file, months_stored

STAC_FOLDER = "stac"
CATALOG_KEY = f"{STAC_FOLDER}/catalog.json"
CATALOG_ID = "sacnn-outputs"
#: The outputs catalogued, in the order of the catalogue's links, with what each collection says it is.
COLLECTIONS = {
    "ntl_composite": "The month's VIIRS night-light composite over the region (COG, EPSG:4326, native 15″ grid): "
    "band 1 avg_rade9h radiance (nW/cm²/sr), band 2 cf_cvg cloud-free observations; NaN outside the area.",
    "ntl_clean": "The month's cleaned night light (COG): band 1 radiance (negatives 0, outliers replaced; NaN where "
    "not observed), band 2 not_observed (1 = no cloud-free observation).",
    "gvio_estimate": "The month's industrial output (GVIO, 亿元) of every model with its 90 % interval; `selected` "
    "marks the served estimate (Parquet, one row per model).",
    "gvio_factory": "The month's output of each factory (亿元) and its share of the city total, per model that "
    "sums factories (GeoParquet, WGS84 points).",
    "gvio_grid": "The served monthly estimate mapped on the native 15″ night-light grid (COG, 亿元 per pixel); "
    "sums to the month's selected estimate in gvio_estimate.",
    "gvio_by_district": "The month's gridded GVIO summed per district (Parquet: district, gvio in 亿元).",
}
RASTERS = {"ntl_composite", "ntl_clean", "gvio_grid"}
#: The unit of each band, in band order (the COGs carry one `units` tag for the file).
BAND_UNITS = {
    "ntl_composite": ["nW/cm2/sr", "cloud-free observations"],
    "ntl_clean": ["nW/cm2/sr", "1 = not observed"],
    "gvio_grid": ["亿元 (100 million yuan) per pixel"],
}
#: Where a table's month takes its footprint from: the first of these rasters stored for the month.
FOOTPRINT_FROM = ("gvio_grid", "ntl_clean", "ntl_composite")
LICENSE = "other"


class Store(Protocol):
    """What the catalogue needs of the output storage (defs/resources/storage.py `OutputStorage` is one)."""

    def list_keys(self, prefix: str) -> list[str]: ...

    def reading(self, key: str) -> AbstractContextManager[Path]: ...

    def writing(self, key: str) -> AbstractContextManager[Path]: ...

    def remove(self, key: str) -> None: ...


def month_span(month: str) -> tuple[dt.datetime, dt.datetime]:
    """The first and last second of `YYYY-MM`, UTC."""
    year, mon = (int(p) for p in month.split("-"))
    last = calendar.monthrange(year, mon)[1]
    return (
        dt.datetime(year, mon, 1, tzinfo=dt.UTC),
        dt.datetime(year, mon, last, 23, 59, 59, tzinfo=dt.UTC),
    )


def item_key(asset: str, month: str) -> str:
    return f"{STAC_FOLDER}/{asset}/{month}.json"


def collection_key(asset: str) -> str:
    return f"{STAC_FOLDER}/{asset}/collection.json"


def _tags(store: Store, key: str) -> dict[str, str]:
    with store.reading(key) as path, rasterio.open(path) as ds:
        return ds.tags()


def _column_values(store: Store, key: str, column: str) -> list[str]:
    with store.reading(key) as path:
        if column not in pq.read_schema(path).names:
            return []
        return sorted({str(v) for v in pq.read_table(path, columns=[column]).column(column).to_pylist()})


def _month_properties(store: Store, keys: set[str], month: str) -> dict:
    start, end = month_span(month)
    props = {
        "start_datetime": pystac.utils.datetime_to_str(start),
        "end_datetime": pystac.utils.datetime_to_str(end),
        "sacnn:month": month,
    }
    composite = month_file("ntl_composite", month)
    if composite in keys:
        version = _tags(store, composite).get("source_version")
        if version:
            props["sacnn:source_version"] = version
    return props


def _raster_item(store: Store, asset: str, month: str, properties: dict) -> pystac.Item:
    key = month_file(asset, month)
    start, _ = month_span(month)
    with store.reading(key) as path:
        with rasterio.open(path) as ds:
            tags, descriptions = ds.tags(), list(ds.descriptions)
        item = create_stac_item(
            str(path),
            input_datetime=start,
            id=f"{asset}-{month}",
            collection=asset,
            properties=dict(properties),
            asset_name="data",
            asset_roles=["data"],
            asset_media_type=pystac.MediaType.COG,
            asset_href=f"../../{key}",
            with_proj=True,
            with_raster=True,
        )
    for band, name, unit in zip(
        item.assets["data"].extra_fields.get("raster:bands", []), descriptions, BAND_UNITS[asset]
    ):
        band["unit"] = unit
        if name:
            band["name"] = name
    for tag in ("model_version", "model", "grid_method"):
        if tag in tags:
            item.properties[f"sacnn:{tag}"] = tags[tag]
    return item


def _footprint(store: Store, keys: set[str], month: str) -> tuple[dict | None, list[float] | None]:
    for asset in FOOTPRINT_FROM:
        key = month_file(asset, month)
        if key in keys:
            with store.reading(key) as path, rasterio.open(path) as ds:
                west, south, east, north = (float(v) for v in ds.bounds)
            ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
            return {"type": "Polygon", "coordinates": [ring]}, [west, south, east, north]
    return None, None


def _table_item(store: Store, keys: set[str], asset: str, month: str, properties: dict) -> pystac.Item:
    key = month_file(asset, month)
    geometry, bbox = _footprint(store, keys, month)
    start, _ = month_span(month)
    item = pystac.Item(
        id=f"{asset}-{month}",
        geometry=geometry,
        bbox=bbox,
        datetime=start,
        properties=dict(properties),
        collection=asset,
    )
    item.add_asset(
        "data", pystac.Asset(href=f"../../{key}", media_type=pystac.MediaType.VND_APACHE_PARQUET, roles=["data"])
    )
    versions = _column_values(store, key, "model_version")
    if versions:
        item.properties["sacnn:model_version"] = ";".join(versions)
    elif asset == "gvio_by_district" and month_file("gvio_grid", month) in keys:
        # the districts are the grid summed: the grid's model version
        version = _tags(store, month_file("gvio_grid", month)).get("model_version")
        if version:
            item.properties["sacnn:model_version"] = version
    return item


def _collection(asset: str, items: list[pystac.Item]) -> pystac.Collection:
    bboxes = [i.bbox for i in items if i.bbox]
    spatial = (
        [min(b[0] for b in bboxes), min(b[1] for b in bboxes), max(b[2] for b in bboxes), max(b[3] for b in bboxes)]
        if bboxes
        else [-180.0, -90.0, 180.0, 90.0]
    )
    months = sorted(i.properties["sacnn:month"] for i in items)
    extent = pystac.Extent(
        pystac.SpatialExtent([spatial]),
        pystac.TemporalExtent([[month_span(months[0])[0], month_span(months[-1])[1]]]),
    )
    collection = pystac.Collection(
        id=asset, description=COLLECTIONS[asset], extent=extent, license=LICENSE, title=asset
    )
    if asset in RASTERS:
        collection.stac_extensions = sorted({e for i in items for e in i.stac_extensions})
    collection.add_items(items)
    return collection


def build_catalog(store: Store) -> pystac.Catalog:
    """The catalogue of every output file stored under the store's root (`asset/YYYY-MM.ext`), in memory;
    hrefs are not set yet (`write_catalog` sets them)."""
    keys = {k for asset in [*COLLECTIONS, "ntl_composite"] for k in store.list_keys(asset)}
    catalog = pystac.Catalog(
        id=CATALOG_ID,
        description="Monthly industrial output (GVIO) maps from VIIRS night lights, and the files they are made "
        "from: one collection per output, one item per month.",
        title="sacnn outputs",
    )
    month_props: dict[str, dict] = {}
    for asset in COLLECTIONS:
        months = months_stored(sorted(k for k in keys if k.startswith(f"{asset}/")), asset)
        if not months:
            continue
        items = []
        for month in months:
            if month not in month_props:
                month_props[month] = _month_properties(store, keys, month)
            props = month_props[month]
            items.append(
                _raster_item(store, asset, month, props)
                if asset in RASTERS
                else _table_item(store, keys, asset, month, props)
            )
        catalog.add_child(_collection(asset, items))
    return catalog


def write_catalog(catalog: pystac.Catalog, root: Path) -> list[str]:
    """Save the catalogue under the local folder `root` (the storage root's stand-in) as a self-contained
    catalogue; returns its files' keys, items first, then collections, then `stac/catalog.json`."""
    stac = root / STAC_FOLDER
    catalog.set_self_href(str(stac / "catalog.json"))
    for collection in catalog.get_children():
        collection.set_self_href(str(stac / collection.id / "collection.json"))
        for item in collection.get_items():
            item.set_self_href(str(stac / collection.id / f"{item.properties['sacnn:month']}.json"))
    catalog.save(catalog_type=pystac.CatalogType.SELF_CONTAINED)
    items, collections = [], []
    for collection in catalog.get_children():
        collections.append(collection_key(collection.id))
        items.extend(item_key(collection.id, i.properties["sacnn:month"]) for i in collection.get_items())
    return [*items, *collections, CATALOG_KEY]


def publish_catalog(store: Store) -> pystac.Catalog:
    """Rebuild `stac/` from the stored outputs: written in a local folder, then each file put through the
    store (items, collections, the catalogue last); JSON files under `stac/` no longer in the catalogue
    (a month removed) are removed after. Returns the catalogue."""
    catalog = build_catalog(store)
    with tempfile.TemporaryDirectory() as tmp:
        written = write_catalog(catalog, Path(tmp))
        for key in written:
            with store.writing(key) as target:
                target.write_bytes((Path(tmp) / key).read_bytes())
    for stale in sorted(set(store.list_keys(STAC_FOLDER)) - set(written)):
        store.remove(stale)
    return catalog


def catalogue_summary(catalog: pystac.Catalog) -> dict[str, list[str]]:
    """{collection: [months]} of a catalogue."""
    return {c.id: [i.properties["sacnn:month"] for i in c.get_items()] for c in catalog.get_children()}


def read_items(root: Path, collection: str) -> Iterable[pystac.Item]:
    """The items of one collection of the catalogue under the local storage root `root`."""
    catalog = pystac.Catalog.from_file(str(root / CATALOG_KEY))
    child = catalog.get_child(collection)
    if child is None:
        raise KeyError(f"{root / CATALOG_KEY} has no collection {collection}")
    return child.get_items()
