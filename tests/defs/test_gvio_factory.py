"""`gvio_factory` and the grid's model and method on the materialized small demo."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio

from sacnn_dagster.gridding.methods import DEFAULT_GRID_METHOD


def test_factory_outputs_add_up_to_the_models_estimate(materialized_small_demo):
    out = materialized_small_demo.storage
    month = materialized_small_demo.months_estimated[-1]
    table = gpd.read_parquet(out / "gvio_factory" / f"{month}.parquet")
    factories = gpd.read_parquet(out / "factories" / f"{month}.parquet")
    estimates = pd.read_parquet(out / "gvio_estimate" / f"{month}.parquet").set_index("model")
    assert list(table.columns) == ["model", "id", "estimate", "share", "model_version", "geometry"]
    assert set(table["model"]) == {"factory_sum"} and table.crs.to_epsg() == 4326
    assert list(table["id"]) == list(factories["id"].astype(str))
    assert table.geometry.geom_equals(factories.geometry).all()
    assert table["share"].sum() == pytest.approx(1.0, abs=1e-9) and (table["estimate"] >= 0).all()
    assert table["estimate"].sum() == pytest.approx(float(estimates.loc["factory_sum", "estimate"]), rel=1e-9)


def test_the_grid_names_its_model_and_method(materialized_small_demo):
    out = materialized_small_demo.storage
    month = materialized_small_demo.months_estimated[-1]
    with rasterio.open(out / "gvio_grid" / f"{month}.tif") as ds:
        tags, grid = ds.tags(), ds.read(1).astype(np.float64)
    estimates = pd.read_parquet(out / "gvio_estimate" / f"{month}.parquet")
    model = estimates.loc[estimates["selected"], "model"].item() if "selected" in estimates else "sacnn"
    assert tags["model"] == model and tags["grid_method"] == DEFAULT_GRID_METHOD
    carried = estimates.set_index("model").loc[model, "estimate"]
    assert abs(np.nansum(grid) - carried) <= 1e-4 * carried
