"""SACNN_REGIONS in the code location: a repository per region with its keys under its name, its own jobs and
sensors, and the catalogue's repository with region_catalogue (which lists the bad folders) and gvio_regions;
SACNN_REGION picks regions of the catalogue."""

from __future__ import annotations

import shutil

import dagster as dg
import pytest

from sacnn_dagster.defs.catalogue.location import CatalogueRegion, catalogue_repositories, region_storage
from sacnn_dagster.defs.catalogue.region_catalogue import CATALOGUE_ASSET


@pytest.fixture
def catalogue(small_demo_region, tmp_path):
    root = tmp_path / "regions"
    shutil.copytree(small_demo_region, root / "small")
    shutil.copytree(small_demo_region, root / "other")
    yaml = root / "other" / "region.yaml"
    yaml.write_text(yaml.read_text().replace("name: demo-city-small", "name: city-other"))
    (root / "broken").mkdir()
    return root


def test_every_region_is_a_repository_of_its_own_with_its_keys_under_its_name(catalogue, tmp_path):
    repositories = {r.name: r for r in catalogue_repositories(str(catalogue), str(tmp_path / "out"))}
    assert sorted(repositories) == ["catalogue", "city_other", "demo_city_small"]
    small = repositories["demo_city_small"]
    keys = {k.to_user_string() for k in small.asset_graph.get_all_asset_keys()}
    assert "demo-city-small/gvio_grid" in keys and not any(k.startswith("city-other/") for k in keys)
    assert small.get_job("monthly_features").tags["sacnn/region"] == "demo-city-small"
    assert {s.name for s in small.sensor_defs} >= {"nightlight_sensor", "freshness_sensor"}
    # each region's resources, under the names its assets ask for
    assert storage_root(small) == str((tmp_path / "out" / "demo-city-small").resolve())


def storage_root(repository: dg.RepositoryDefinition) -> str:
    with dg.build_init_resource_context() as context:
        return repository.get_top_level_resources()["storage"].resource_fn(context).root


def test_the_catalogue_repository_names_the_bad_folder_and_the_others_load(catalogue, tmp_path):
    repository = catalogue_repositories(str(catalogue), str(tmp_path / "out"))[-1]
    spec = next(s for s in repository.asset_graph.asset_nodes if s.key == dg.AssetKey(CATALOGUE_ASSET))
    assert spec.metadata["bad folders"].value == 1 and spec.metadata["region_count"].value == 2
    assert "`broken/`" in spec.metadata["bad folders and why"].value
    gvio_regions = repository.asset_graph.get(dg.AssetKey("gvio_regions"))
    assert {k.to_user_string() for k in gvio_regions.parent_keys} == {
        "demo-city-small/gvio_estimate",
        "city-other/gvio_estimate",
    }


def test_sacnn_region_picks_regions_of_the_catalogue(catalogue, tmp_path):
    repositories = catalogue_repositories(str(catalogue), None, only=["other"])  # by folder name
    assert [r.name for r in repositories] == ["city_other", "catalogue"]
    assert region_storage(None, "city-other") == "sacnn-output/city-other"


def test_a_catalogue_region_tells_a_daemon_how_to_serve_it(catalogue, tmp_path):
    env = CatalogueRegion(str(catalogue), "city-other", None).environment()
    assert env["SACNN_REGIONS"] == str(catalogue.resolve()) and env["SACNN_REGION"] == "city-other"
    assert env["SACNN_STORAGE"].endswith("/sacnn-output")
    assert CatalogueRegion("s3://b/p", "x", "s3://o").environment()["SACNN_STORAGE"] == "s3://o"
