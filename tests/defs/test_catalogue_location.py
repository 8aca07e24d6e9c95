"""SACNN_REGIONS in the code location: SACNN_REGION names one region of the catalogue; without it, the error
names the regions there and the bad folders."""

from __future__ import annotations

import shutil

import pytest

from sacnn_dagster.defs.catalogue_location import catalogue_region


def test_a_region_of_the_catalogue_by_name_or_folder(small_demo_region, tmp_path):
    catalogue = tmp_path / "regions"
    shutil.copytree(small_demo_region, catalogue / "small")
    (catalogue / "broken").mkdir()
    assert catalogue_region(str(catalogue), "small", "s3://b/p/") == (catalogue / "small", "s3://b/p/demo-city-small")
    assert catalogue_region(str(catalogue), "demo-city-small", None)[1] == "sacnn-output/demo-city-small"
    with pytest.raises(ValueError, match=r"one of its regions \(demo-city-small\); bad folder broken: .*region.yaml"):
        catalogue_region(str(catalogue), None, None)
