"""The catalogue of regions: each subfolder read on its own, bad ones kept with their reason."""

from __future__ import annotations

import shutil

import pytest

from sacnn_dagster.config.catalogue import load_catalogue, outside_range


@pytest.fixture
def catalogue(small_demo_region, tmp_path):
    root = tmp_path / "regions"
    shutil.copytree(small_demo_region, root / "one")
    shutil.copytree(small_demo_region, root / "two")
    text = (root / "two" / "region.yaml").read_text().replace("name: demo-city-small", "name: demo-city-two")
    (root / "two" / "region.yaml").write_text(text)
    (root / "empty").mkdir()
    (root / ".hidden").mkdir()
    return root


def test_good_regions_by_name_and_bad_folders_with_their_reason(catalogue):
    found = load_catalogue(catalogue)
    assert found.names == ["demo-city-small", "demo-city-two"]
    assert [(b.folder.name, "region.yaml is missing" in b.reason) for b in found.bad] == [("empty", True)]


def test_two_folders_with_one_region_name_the_second_is_bad(catalogue):
    shutil.copytree(catalogue / "one", catalogue / "zcopy")
    found = load_catalogue(catalogue)
    assert "zcopy" in [b.folder.name for b in found.bad]
    assert "already used by one/" in found.bad[-1].reason


def test_only_by_region_or_folder_name_and_an_unknown_name_is_an_error(catalogue):
    assert load_catalogue(catalogue, only=["two"]).names == ["demo-city-two"]
    assert load_catalogue(catalogue, only=["demo-city-small"]).names == ["demo-city-small"]
    with pytest.raises(ValueError, match="--only nowhere"):
        load_catalogue(catalogue, only=["nowhere"])
    with pytest.raises(FileNotFoundError):
        load_catalogue(catalogue / "missing")


def test_a_region_outside_the_range_asked_for(catalogue):
    region = load_catalogue(catalogue).regions["demo-city-small"]  # 2019-07..2021-12
    assert outside_range(region, "2022-01", None) and outside_range(region, None, "2019-06")
    assert not outside_range(region, "2021-12", None) and not outside_range(region, None, None)
    assert not outside_range(region.model_copy(update={"end": None}), "2030-01", None)  # ongoing
