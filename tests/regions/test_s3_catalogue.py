"""A catalogue of regions on S3 (io/s3_catalogue.py), against the session's moto server: read through a local
mirror that follows the bucket (changed, added and deleted files), fetches only what changed and survives a
sync cut short."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import s3fs

from sacnn_dagster.io.s3_catalogue import catalogue_folder, mirror_folder, open_catalogue, sync_catalogue
from tests.servers.s3 import ACCESS_KEY, SECRET_KEY

#: What load_catalogue reads of a region folder; the rest of a region (nightlights, POIs) is mirrored alike.
REGION_FILES = ("region.yaml", "boundary.geojson")


@pytest.fixture
def catalogue_url(small_demo_region, s3_bucket, tmp_path, monkeypatch) -> str:
    """`s3://<bucket>/catalogue` with regions `one` and `two` and a folder `bad` without a region.yaml; the
    endpoint and a fresh cache in the environment, as a deployment sets them."""
    monkeypatch.setenv("SACNN_S3_ENDPOINT_URL", s3_bucket.endpoint_url)
    monkeypatch.setenv("SACNN_CACHE", str(tmp_path / "cache"))
    for folder, name in (("one", "demo-city-small"), ("two", "demo-city-two")):
        for file in REGION_FILES:
            data = (small_demo_region / file).read_bytes()
            if file == "region.yaml":
                data = data.replace(b"name: demo-city-small", f"name: {name}".encode())
            s3_bucket.put(f"catalogue/{folder}/{file}", data)
    s3_bucket.put("catalogue/bad/notes.txt", b"not a region")
    return s3_bucket.url("catalogue/")


def test_the_catalogue_loads_from_its_mirror_with_bad_folders_and_their_reason(catalogue_url, s3_bucket, tmp_path):
    catalogue = open_catalogue(catalogue_url)
    assert catalogue.names == ["demo-city-small", "demo-city-two"]
    assert [(b.folder.name, "region.yaml is missing" in b.reason) for b in catalogue.bad] == [("bad", True)]
    assert catalogue.source == catalogue_url  # the messages name the URL, the regions are read from the mirror
    assert catalogue.root.is_relative_to(tmp_path / "cache" / "catalogues")
    assert catalogue.root.name.startswith(f"{s3_bucket.name}-catalogue-")  # readable, then a digest
    assert catalogue.regions["demo-city-two"].root == catalogue.root / "two"
    with pytest.raises(ValueError, match=f"no such region in {catalogue_url}"):
        open_catalogue(catalogue_url, only=["nowhere"])


def test_a_second_sync_fetches_nothing_and_keeps_every_file_as_it_was(catalogue_url):
    first = sync_catalogue(catalogue_url)
    assert sorted(first.downloaded) == sorted(
        ["bad/notes.txt", *(f"{r}/{f}" for r in ("one", "two") for f in REGION_FILES)]
    )
    stats = {p: p.stat().st_mtime_ns for p in first.folder.rglob("*") if p.is_file()}
    second = sync_catalogue(catalogue_url)
    assert (second.downloaded, second.removed, second.kept) == ([], [], 5)
    assert {p: p.stat().st_mtime_ns for p in second.folder.rglob("*") if p.is_file()} == stats


def test_a_changed_region_yaml_is_fetched_alone(catalogue_url, s3_bucket):
    folder = catalogue_folder(catalogue_url)
    text = (folder / "two" / "region.yaml").read_text().replace("demo-city-two", "demo-city-renamed")
    s3_bucket.put("catalogue/two/region.yaml", text.encode())
    report = sync_catalogue(catalogue_url)
    assert report.downloaded == ["two/region.yaml"]
    assert open_catalogue(catalogue_url).names == ["demo-city-small", "demo-city-renamed"]


def test_a_deleted_region_and_a_deleted_file_disappear_from_the_mirror(catalogue_url, s3_bucket):
    folder = catalogue_folder(catalogue_url)
    s3_bucket.fs.rm(f"{s3_bucket.name}/catalogue/two", recursive=True)
    s3_bucket.fs.rm(f"{s3_bucket.name}/catalogue/bad/notes.txt")
    report = sync_catalogue(catalogue_url)
    assert sorted(report.removed) == ["bad/notes.txt", "two/boundary.geojson", "two/region.yaml"]
    assert sorted(p.name for p in folder.iterdir()) == ["one"]  # the emptied folders go too
    catalogue = open_catalogue(catalogue_url)
    assert (catalogue.names, catalogue.bad) == (["demo-city-small"], [])


def test_a_sync_cut_short_leaves_whole_files_and_the_next_one_heals(catalogue_url, monkeypatch):
    folder = sync_catalogue(catalogue_url).folder
    # a crash mid-file: the final name gone (a fetch of a new version), its temporary file half written
    (folder / "one" / "region.yaml").unlink()
    (folder / "one" / ".region.yaml.tmp-0123456789ab.yaml").write_text("name: demo-ci")
    # and the next fetch fails half-way through its file: nothing of it may show under a final name
    real_get = s3fs.S3FileSystem.get

    def half_then_fail(self, rpaths, lpaths, **kwargs):
        Path(lpaths[0]).write_text("name: half")
        raise ConnectionResetError("connection reset by peer")

    monkeypatch.setattr(s3fs.S3FileSystem, "get", half_then_fail)
    with pytest.raises(OSError, match=catalogue_url.rstrip("/")):
        sync_catalogue(catalogue_url)
    assert not (folder / "one" / "region.yaml").exists()
    assert [p.name for p in (folder / "one").iterdir()] == ["boundary.geojson"]  # both temporary files gone
    monkeypatch.setattr(s3fs.S3FileSystem, "get", real_get)
    assert sync_catalogue(catalogue_url).downloaded == ["one/region.yaml"]
    assert open_catalogue(catalogue_url).names == ["demo-city-small", "demo-city-two"]


def test_a_mirrored_file_deleted_locally_is_fetched_again(catalogue_url):
    folder = sync_catalogue(catalogue_url).folder
    (folder / "one" / "boundary.geojson").unlink()  # the cache's eviction, or a person
    assert sync_catalogue(catalogue_url).downloaded == ["one/boundary.geojson"]


def test_two_syncs_at_once_fetch_each_file_once(catalogue_url):
    with ThreadPoolExecutor(2) as pool:
        reports = list(pool.map(sync_catalogue, [catalogue_url, catalogue_url]))
    assert sorted(len(r.downloaded) for r in reports) == [0, 5]  # the second waited for the first's lock
    assert open_catalogue(catalogue_url).names == ["demo-city-small", "demo-city-two"]


def test_errors_name_the_url_and_no_secret(catalogue_url, s3_bucket, monkeypatch):
    missing = s3_bucket.url("nothing-here")
    with pytest.raises(FileNotFoundError, match=f"{missing}: nothing stored") as caught:
        open_catalogue(missing)
    other_bucket = "s3://no-such-bucket-for-sacnn/catalogue"
    with pytest.raises(OSError, match=other_bucket) as caught_too:
        sync_catalogue(other_bucket)
    for error in (caught.value, caught_too.value):
        assert SECRET_KEY not in str(error) and ACCESS_KEY not in str(error)
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(ValueError, match=f"{catalogue_url.rstrip('/')}: AWS_SECRET_ACCESS_KEY is not set"):
        sync_catalogue(catalogue_url)


def test_a_local_folder_is_read_in_place_and_a_url_through_path_keeps_its_meaning(catalogue_url, tmp_path):
    assert catalogue_folder(tmp_path) == tmp_path
    assert catalogue_folder(Path(catalogue_url)) == catalogue_folder(catalogue_url)  # Path() drops a slash


def test_one_bucket_on_two_endpoints_is_two_mirrors(tmp_path):
    url = "s3://bucket/some/catalogue"
    here, there = mirror_folder(url, "http://minio:9000", tmp_path), mirror_folder(url, None, tmp_path)
    assert here != there and here.parent == there.parent == tmp_path / "catalogues"
    assert here.name.startswith("bucket-some-catalogue-")
    assert mirror_folder(f"{url}/", None, tmp_path) == there


def test_the_download_cache_bound_never_evicts_a_catalogue_mirror(catalogue_url, tmp_path):
    from sacnn_dagster.io.cache import CacheSettings, evict

    mirror = catalogue_folder(catalogue_url)
    other = tmp_path / "cache" / "eog" / "old.tif"
    other.parent.mkdir(parents=True)
    other.write_bytes(b"x" * 100)
    deleted = evict(CacheSettings(tmp_path / "cache", max_bytes=0))
    assert deleted == [other]  # the download goes; the regions a run may be reading stay
    assert (mirror / "one" / "region.yaml").is_file()
