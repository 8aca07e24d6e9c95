"""SACNN_REGIONS in the code location: SACNN_REGION names one region of the catalogue; without it, the error
names the regions there and the bad folders; region_catalogue shows the bad folders in the UI."""

from __future__ import annotations

import shutil

import dagster as dg
import pytest

from sacnn_dagster.defs.catalogue_location import CATALOGUE_ASSET, catalogue_location, catalogue_region


@pytest.fixture
def catalogue(small_demo_region, tmp_path):
    root = tmp_path / "regions"
    shutil.copytree(small_demo_region, root / "small")
    (root / "broken").mkdir()
    return root


def test_a_region_of_the_catalogue_by_name_or_folder(catalogue):
    region, storage, _ = catalogue_region(str(catalogue), "small", "s3://b/p/")
    assert (region, storage) == (catalogue / "small", "s3://b/p/demo-city-small")
    assert catalogue_region(str(catalogue), "demo-city-small", None)[1] == "sacnn-output/demo-city-small"
    assert catalogue_region(str(catalogue), str(catalogue / "small"), None)[0] == catalogue / "small"  # a path
    with pytest.raises(ValueError, match=r"one of its regions \(demo-city-small\); bad folder broken: .*region.yaml"):
        catalogue_region(str(catalogue), None, None)


def test_the_code_location_shows_the_catalogue_and_its_bad_folders(catalogue, tmp_path):
    defs = catalogue_location(str(catalogue), "demo-city-small", str(tmp_path / "out"))
    dg.Definitions.validate_loadable(defs)
    assert defs.resources["storage"].root.endswith("out/demo-city-small")
    spec = next(s for s in defs.resolve_all_asset_specs() if s.key == dg.AssetKey(CATALOGUE_ASSET))
    assert spec.metadata["bad folders"].value == 1
    assert "`broken/`" in spec.metadata["bad folders and why"].value
    assert defs.resolve_job_def("monthly_features") is not None  # the region's own jobs, names unchanged
