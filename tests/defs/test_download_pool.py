"""ntl_composite runs in its source host's concurrency pool; a local folder needs none."""

from __future__ import annotations

import shutil

from sacnn_dagster.defs.code_location import build_definitions


def test_the_composite_step_is_in_its_hosts_pool(small_demo_region, tmp_path):
    assert build_definitions(small_demo_region).resolve_assets_def("ntl_composite").op.pool is None
    region = tmp_path / "remote"
    shutil.copytree(small_demo_region, region)
    with (region / "region.yaml").open("a") as yaml:
        yaml.write("nightlights:\n  source: eog\n  url: http://127.0.0.1:9/nighttime_light\n")
    assert build_definitions(region).resolve_assets_def("ntl_composite").op.pool == "download_127_0_0_1"
