"""S3Folder against a real S3-compatible endpoint (moto's server in its own process): listing, the
ETag-keyed download cache, clear errors that never carry a secret."""

from __future__ import annotations

import pytest
import s3fs

from sacnn_dagster.io.cache import CacheSettings
from sacnn_dagster.io.credentials import Credentials
from sacnn_dagster.io.open_folder import open_input_folder
from sacnn_dagster.io.s3_folder import S3Folder, s3_filesystem
from tests.servers.s3 import ACCESS_KEY, SECRET_KEY

CREDENTIALS = Credentials(aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)


@pytest.fixture
def folder(s3_bucket, tmp_path) -> S3Folder:
    s3_bucket.put("pois/2020-05.csv", b"id,name\n1,a\n")
    s3_bucket.put("pois/archive/2019-07.csv", b"id,name\n2,b\n")
    s3_bucket.put("poisoned/other.csv", b"not below pois/")
    return open_input_folder(
        s3_bucket.url("pois/"), CREDENTIALS, CacheSettings(tmp_path / "cache"), s3_endpoint_url=s3_bucket.endpoint_url
    )


def test_lists_every_file_below_the_prefix_recursively(folder, s3_bucket):
    assert isinstance(folder, S3Folder)
    assert folder.location == s3_bucket.url("pois")
    assert folder.list_files() == ["2020-05.csv", "archive/2019-07.csv"]


def test_download_is_cached_by_etag_and_refetched_when_the_object_changes(folder, s3_bucket, tmp_path, monkeypatch):
    downloads = []
    get_file = folder.fs.get_file
    monkeypatch.setattr(folder.fs, "get_file", lambda rpath, lpath: downloads.append(rpath) or get_file(rpath, lpath))
    first = folder.local_path("archive/2019-07.csv")
    assert first.read_bytes() == b"id,name\n2,b\n" and first.name == "2019-07.csv"
    assert first.is_relative_to(tmp_path / "cache" / "s3" / s3_bucket.name / "pois" / "archive")
    assert folder.version("archive/2019-07.csv") in str(first)
    inode = first.stat().st_ino

    again = folder.local_path("archive/2019-07.csv")
    assert again == first and again.stat().st_ino == inode and len(downloads) == 1

    s3_bucket.put("pois/archive/2019-07.csv", b"id,name\n2,b\n3,c\n")
    changed = folder.local_path("archive/2019-07.csv")
    assert changed != first and changed.read_bytes() == b"id,name\n2,b\n3,c\n" and len(downloads) == 2
    assert not first.exists(), "the copy of the old version is removed"
    assert not [p for p in changed.parent.iterdir() if p != changed], "no temporary file left beside it"


def test_cache_bound_evicts_the_least_recently_used_copy(s3_bucket, tmp_path):
    s3_bucket.put("pois/2020-05.csv", b"id,name\n1,a\n")
    s3_bucket.put("pois/2021-03.csv", b"id,name\n2,b\n")
    folder = S3Folder(
        s3_bucket.url("pois"),
        CREDENTIALS,
        CacheSettings(tmp_path / "cache", max_bytes=20),
        endpoint_url=s3_bucket.endpoint_url,
    )
    older = folder.local_path("2020-05.csv")
    newer = folder.local_path("2021-03.csv")
    assert newer.is_file() and not older.exists()


def test_missing_prefix_file_and_bucket_are_named(s3_bucket, tmp_path):
    cache = CacheSettings(tmp_path / "cache")
    empty = S3Folder(s3_bucket.url("nothing-here"), CREDENTIALS, cache, endpoint_url=s3_bucket.endpoint_url)
    with pytest.raises(FileNotFoundError, match=f"s3://{s3_bucket.name}/nothing-here"):
        empty.list_files()
    with pytest.raises(FileNotFoundError, match=f"s3://{s3_bucket.name}/nothing-here/x.csv"):
        empty.local_path("x.csv")
    no_bucket = S3Folder("s3://no-such-bucket-here/pois", CREDENTIALS, cache, endpoint_url=s3_bucket.endpoint_url)
    with pytest.raises(FileNotFoundError, match="s3://no-such-bucket-here/pois") as info:
        no_bucket.list_files()
    assert SECRET_KEY not in str(info.value) and ACCESS_KEY not in repr(no_bucket.credentials)


def test_without_credentials_the_default_chain_signs(folder, s3_bucket, tmp_path):
    """No keys in Credentials: botocore finds the environment's (set by the fixture); never anonymous."""
    default_chain = S3Folder(
        s3_bucket.url("pois"), Credentials(), CacheSettings(tmp_path / "c2"), endpoint_url=s3_bucket.endpoint_url
    )
    assert default_chain.fs.anon is False
    assert default_chain.list_files() == ["2020-05.csv", "archive/2019-07.csv"]


def test_a_key_without_its_secret_is_refused_by_name():
    with pytest.raises(ValueError, match="AWS_SECRET_ACCESS_KEY is not set") as info:
        s3_filesystem(Credentials(aws_access_key_id=ACCESS_KEY))
    assert ACCESS_KEY not in str(info.value)


def test_no_credentials_anywhere_is_a_clear_error(s3_bucket, tmp_path, monkeypatch):
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(var)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    s3fs.S3FileSystem.clear_instance_cache()  # s3fs reuses a file system built with the same arguments
    folder = S3Folder(
        s3_bucket.url("pois"), Credentials(), CacheSettings(tmp_path / "cache"), endpoint_url=s3_bucket.endpoint_url
    )
    with pytest.raises(PermissionError, match=f"s3://{s3_bucket.name}/pois: no AWS credentials found"):
        folder.list_files()
