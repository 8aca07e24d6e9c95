"""Real data: the Mumbai VIIRS cube (130 months, MIT), turned into EOG-named monthly files and ingested
month by month through Dagster."""

import dagster as dg
import numpy as np
import rasterio

from sacnn_dagster.cli.run import run_region


def latest_metadata(instance, asset, month):
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset), asset_partitions=[month]), limit=1
    ).records
    return {k: v.value for k, v in records[0].asset_materialization.metadata.items()}


def test_mumbai_cube_ingested_month_by_month(mumbai_region, instance, tmp_path):
    root, facts = mumbai_region
    # the duplicated 2012-11 band (bands 8 and 9, identical) becomes one month: 130 distinct months
    assert facts["duplicates"] == [("2012-11", 8, 9)]
    assert len(facts["months"]) == 130 and facts["months"][0] == "2012-04" and facts["months"][-1] == "2023-01"

    report = run_region(root, storage_root=str(tmp_path / "out"), instance=instance, echo=lambda s: None)
    assert report.ok, report.failures  # no statistics: features only, not a failure
    assert report.months_materialized == facts["months"]
    for asset in ("ntl_composite", "ntl_clean", "factories", "factory_patches"):
        assert instance.get_materialized_partitions(dg.AssetKey(asset)) == set(facts["months"])

    # monsoon: 2019-09 has almost no cloud-free observation; those pixels are "not observed", not dark
    monsoon = latest_metadata(instance, "ntl_composite", "2019-09")
    dry = latest_metadata(instance, "ntl_composite", "2019-01")
    assert monsoon["share_not_observed"] > 0.8 and dry["share_not_observed"] < 0.05
    clean = latest_metadata(instance, "ntl_clean", "2019-09")
    assert clean["pixels_not_observed"] > 0.8 * (clean["pixels_not_observed"] + clean["pixels_observed"])
    with rasterio.open(tmp_path / "out" / "ntl_clean" / "2019-09.tif") as ds:
        radiance, flag = ds.read(1), ds.read(2)
    assert np.isnan(radiance[flag == 1]).all()
    # the observed pixels keep city-like light instead of the composite's diluted 1.5
    assert clean["mean_radiance"] > 3 * monsoon["mean_radiance"]

    # bright outliers (max 4331 in the cube) are capped, the lockdown dip is visible
    assert max(latest_metadata(instance, "ntl_clean", m)["outliers_replaced"] for m in ("2019-01", "2020-01")) > 0
    jan, apr = (latest_metadata(instance, "ntl_composite", m)["mean_radiance"] for m in ("2020-01", "2020-04"))
    assert apr < 0.85 * jan

    # the composite is a valid COG clipped to the districts with coverage as band 2
    with rasterio.open(tmp_path / "out" / "ntl_composite" / "2019-01.tif") as ds:
        assert ds.count == 2 and ds.descriptions == ("avg_rade9h", "cf_cvg")
        assert ds.tags()["satellite"] == "npp"
