"""The monthly assets on the small demo region: one partition, a range, metadata, and same bytes again."""

import hashlib

import dagster as dg
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from rio_cogeo.cogeo import cog_validate

from sacnn_dagster.defs.code_location import FEATURES_JOB, build_definitions
from sacnn_dagster.features.patch_table import read_patch_table
from sacnn_dagster.features.patches import FEATURE_COLUMNS

MONTHLY = ("ntl_composite", "ntl_clean", "factories", "factory_patches")


def metadata(instance, asset, month):
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset), asset_partitions=[month]), limit=1
    ).records
    return {k: v.value for k, v in records[0].asset_materialization.metadata.items()}


@pytest.fixture
def defs(small_demo_region, tmp_path):
    return build_definitions(small_demo_region, str(tmp_path / "out"))


def months_of(defs):
    return defs.resolve_assets_def("ntl_composite").partitions_def.get_partition_keys()


def test_one_partition_materialized_with_metadata(defs, instance, tmp_path):
    month = months_of(defs)[2]
    result = defs.resolve_job_def(FEATURES_JOB).execute_in_process(partition_key=month, instance=instance)
    assert result.success
    out = tmp_path / "out"
    for asset in MONTHLY:
        assert instance.get_materialized_partitions(dg.AssetKey(asset)) == {month}
    comp = metadata(instance, "ntl_composite", month)
    assert {"source_file", "stamp", "satellite", "pixel_count", "mean_radiance", "share_not_observed"} <= set(comp)
    assert comp["pixel_count"] > 1000 and comp["source_file"].split("/")[-1].startswith("SVDNB_")
    clean = metadata(instance, "ntl_clean", month)
    with rasterio.open(out / "ntl_composite" / f"{month}.tif") as ds:
        radiance, coverage = ds.read(1), ds.read(2)
    observed = np.isfinite(radiance) & (coverage != 0)
    assert clean["negatives_zeroed"] == int((radiance[observed] < 0).sum())
    assert clean["outliers_replaced"] == int((np.maximum(radiance[observed], 0) > 262).sum())
    assert clean["pixels_not_observed"] == int((np.isfinite(radiance) & (coverage == 0)).sum())
    fac = metadata(instance, "factories", month)
    assert fac["factories"] > 50 and fac["malformed_rows"] + fac["bad_location"] > 0
    assert fac["rows"] == sum(
        fac[k]
        for k in (
            "malformed_rows",
            "not_factory_category",
            "bad_location",
            "duplicate_id",
            "duplicate_name_place",
            "outside_area",
            "factories",
        )
    )
    patches = metadata(instance, "factory_patches", month)
    assert patches["factories"] == fac["factories"] and patches["urban_ntl_sum"] > 0

    for asset in ("ntl_composite", "ntl_clean"):
        assert cog_validate(str(out / asset / f"{month}.tif"), quiet=True)[0]
    factories = gpd.read_parquet(out / "factories" / f"{month}.parquet")
    assert factories.crs.to_epsg() == 4326 and factories["id"].is_unique
    table = read_patch_table(out / "factory_patches" / f"{month}.parquet")
    assert list(table.factories["id"]) == list(factories["id"])
    assert set(FEATURE_COLUMNS) <= set(table.factories.columns)
    assert table.windows.shape[0] == len(factories) and table.info["month"] == month
    assert pd.read_parquet(out / "factory_patches" / f"{month}.parquet", columns=["id", "ntl_factory"]).shape[0] == len(
        factories
    )


def test_range_of_partitions_in_one_run_and_same_bytes_again(defs, instance, tmp_path):
    from sacnn_dagster.defs.dagster_private import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

    months = months_of(defs)[:4]
    job = defs.resolve_job_def(FEATURES_JOB)
    tags = {ASSET_PARTITION_RANGE_START_TAG: months[0], ASSET_PARTITION_RANGE_END_TAG: months[-1]}
    assert job.execute_in_process(instance=instance, tags=tags).success
    for asset in MONTHLY:
        assert instance.get_materialized_partitions(dg.AssetKey(asset)) == set(months)
    # per-month metadata, not one blob for the range
    stamps = {metadata(instance, "ntl_composite", m)["source_file"] for m in months}
    assert len(stamps) == len(months)

    out = tmp_path / "out"
    files = sorted(p for p in out.rglob("*") if p.is_file())
    assert not [p for p in files if p.name.startswith(".")], "temporary files left behind"
    digest = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in files}
    assert job.execute_in_process(instance=instance, tags=tags).success
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in files} == digest


def test_reprocessed_month_uses_newest_stamp(small_demo_region, defs, instance, tmp_path):
    from sacnn_dagster.nightlights.eog_names import parse_composite_name

    by_month: dict[str, set[str]] = {}
    for p in (small_demo_region / "nightlights").rglob("SVDNB_*avg_rade9h*"):
        n = parse_composite_name(p.name)
        by_month.setdefault(n.month, set()).add(n.stamp)
    month, stamps = next((m, s) for m, s in sorted(by_month.items()) if len(s) > 1)
    assert defs.resolve_job_def(FEATURES_JOB).execute_in_process(partition_key=month, instance=instance).success
    comp = metadata(instance, "ntl_composite", month)
    assert comp["stamp"] == max(stamps) and min(stamps) in comp["alternatives_not_chosen"]
    with rasterio.open(tmp_path / "out" / "ntl_composite" / f"{month}.tif") as ds:
        assert ds.tags()["stamp"] == max(stamps)
        assert np.isfinite(ds.read(1)).any()
