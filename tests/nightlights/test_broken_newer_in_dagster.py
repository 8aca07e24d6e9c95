"""In Dagster: a zero-byte composite under a newer stamp is passed over for the good older one, and reported in
the month's metadata and by the warning check `composite_files_readable`; the month itself succeeds."""

from __future__ import annotations

import shutil

import dagster as dg

from sacnn_dagster.defs.code_location import build_definitions
from sacnn_dagster.nightlights.eog_names import parse_composite_name


def test_a_zero_byte_newer_composite_is_reported_not_used(small_demo_region, tmp_path, instance):
    region = tmp_path / "region"
    shutil.copytree(small_demo_region, region)
    good = next((region / "nightlights").rglob("SVDNB_npp_20200301-*.avg_rade9h.tif"))
    stamp = parse_composite_name(good.name).stamp
    empty = good.with_name(good.name.replace(stamp, "202103010000"))
    empty.write_bytes(b"")
    shutil.copyfile(
        good.with_name(good.name.replace("avg_rade9h", "cf_cvg")),
        empty.with_name(empty.name.replace("avg_rade9h", "cf_cvg")),
    )
    defs = build_definitions(region, str(tmp_path / "out"))
    job = defs.resolve_implicit_global_asset_job_def().get_subset(asset_selection={dg.AssetKey("ntl_composite")})
    result = job.execute_in_process(partition_key="2020-03", instance=instance)
    assert result.success
    meta = result.asset_materializations_for_node("ntl_composite")[0].metadata
    assert meta["stamp"].value == stamp and empty.name in meta["broken_files_passed_over"].value
    check = next(e for e in result.get_asset_check_evaluations() if e.check_name == "composite_files_readable")
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN and empty.name in check.description
