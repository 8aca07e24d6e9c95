"""The STAC catalogue of the outputs (stac/catalogue.py, the `stac_catalog` asset) over the materialized small
demo: written by the monthly outputs job, valid against the STAC JSON schemas, relative, the same bytes when
rebuilt, written items first, and loadable by odc-stac into a cube whose monthly sums are the served estimates."""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import pystac
import pytest
from pystac.validation.stac_validator import JsonSchemaSTACValidator

from sacnn_dagster.defs.resources.local_storage import LocalOutputStorage
from sacnn_dagster.io.layout import month_file
from sacnn_dagster.stac.catalogue import CATALOG_KEY, COLLECTIONS, build_catalog, publish_catalog, write_catalog

EXPECTED = ["ntl_composite", "ntl_clean", "gvio_estimate", "gvio_factory", "gvio_grid", "gvio_by_district"]


@pytest.fixture(scope="module")
def stored(materialized_small_demo) -> Path:
    return materialized_small_demo.storage


def stac_files(root: Path) -> list[Path]:
    return sorted((root / "stac").rglob("*.json"))


def test_the_outputs_job_wrote_a_catalogue_of_every_output(stored, materialized_small_demo):
    catalog = pystac.Catalog.from_file(str(stored / CATALOG_KEY))
    children = [c.id for c in catalog.get_children()]
    assert children == [c for c in COLLECTIONS if c in EXPECTED]
    months = materialized_small_demo.months_estimated
    for collection in catalog.get_children():
        items = list(collection.get_items())
        if collection.id.startswith("gvio_"):
            assert [i.properties["sacnn:month"] for i in items] == months
        for item in items:
            month = item.properties["sacnn:month"]
            href = item.assets["data"].href
            assert href == f"../../{month_file(collection.id, month)}"  # relative: the folder can move
            assert (
                Path(item.assets["data"].get_absolute_href()).resolve()
                == (stored / month_file(collection.id, month)).resolve()
            )
            assert item.properties["start_datetime"] == f"{month}-01T00:00:00Z"
            assert item.properties["end_datetime"].startswith(month) and item.bbox and item.geometry
            assert item.properties["sacnn:source_version"]
            if collection.id.startswith("gvio_"):
                assert item.properties["sacnn:model_version"]
    for path in stac_files(stored):
        assert str(stored) not in path.read_text()  # no absolute path anywhere


def test_every_object_is_valid_against_the_stac_schemas(stored):
    """The core (catalog, collection, item) JSON schemas pystac ships (pystac/validation/jsonschemas, STAC
    1.1.0; offline), and the projection and raster extensions' fields read back through pystac's extensions."""
    from pystac.extensions.projection import ProjectionExtension
    from pystac.extensions.raster import RasterExtension

    validator = JsonSchemaSTACValidator()
    kinds = {"Catalog": pystac.STACObjectType.CATALOG, "Collection": pystac.STACObjectType.COLLECTION}
    files = stac_files(stored)
    assert len(files) > 100
    for path in files:
        data = json.loads(path.read_text())
        kind = kinds.get(data["type"], pystac.STACObjectType.ITEM)
        validator.validate_core(data, kind, data["stac_version"], href=str(path))
    grid = pystac.Item.from_file(str(stored / "stac/gvio_grid/2021-06.json"))
    proj = ProjectionExtension.ext(grid)
    assert proj.code == "EPSG:4326" or proj.epsg == 4326
    assert proj.shape and proj.transform
    (band,) = RasterExtension.ext(grid.assets["data"]).bands
    assert band.data_type == "float32" and np.isnan(float(band.nodata)) and band.unit.startswith("亿元")
    clean = RasterExtension.ext(pystac.Item.from_file(str(stored / "stac/ntl_clean/2021-06.json")).assets["data"])
    assert [b.unit for b in clean.bands] == ["nW/cm2/sr", "1 = not observed"]


def test_rebuilding_gives_the_same_bytes(stored, tmp_path):
    written = write_catalog(build_catalog(LocalOutputStorage(root=str(stored))), tmp_path)
    assert written[-1] == CATALOG_KEY
    assert sorted(written) == sorted(p.relative_to(stored).as_posix() for p in stac_files(stored))
    for key in written:
        assert (tmp_path / key).read_bytes() == (stored / key).read_bytes(), key


class RecordingStore:
    """Reads the materialized demo, writes into another folder, and records the order of the writes."""

    def __init__(self, source: Path, target: Path):
        self.source, self.target, self.writes = LocalOutputStorage(root=str(source)), target, []

    def list_keys(self, prefix):
        return self.source.list_keys(prefix)

    def reading(self, key):
        return self.source.reading(key)

    @contextmanager
    def writing(self, key):
        path = self.target / key
        path.parent.mkdir(parents=True, exist_ok=True)
        yield path
        self.writes.append(key)

    def remove(self, key):
        raise AssertionError(f"nothing is stale: {key}")


def test_items_are_written_before_the_collections_and_the_catalogue_last(stored, tmp_path):
    store = RecordingStore(stored, tmp_path)
    publish_catalog(store)
    collections = [i for i, k in enumerate(store.writes) if k.endswith("/collection.json")]
    items = [i for i, k in enumerate(store.writes) if not k.endswith(("collection.json", "catalog.json"))]
    assert store.writes[-1] == CATALOG_KEY and max(items) < min(collections)


def test_a_year_of_gvio_grid_loads_as_a_cube_summing_to_the_served_estimates(stored):
    import odc.stac

    items = [
        i
        for i in pystac.Catalog.from_file(str(stored / CATALOG_KEY)).get_child("gvio_grid").get_items()
        if i.properties["sacnn:month"].startswith("2021")
    ]
    cube = odc.stac.load(items, bands=["data"], chunks=None)
    assert cube["data"].shape[0] == 12
    sums = cube["data"].astype("float64").sum(dim=["latitude", "longitude"], skipna=True).to_numpy()
    for month, total in zip([f"2021-{m:02d}" for m in range(1, 13)], sums):
        table = pd.read_parquet(stored / month_file("gvio_estimate", month))
        served = float(table.loc[table["selected"], "estimate"].iloc[0])
        assert total == pytest.approx(served, rel=1e-5), month
