"""Input files under an S3 prefix (AWS or any S3-compatible store), read through s3fs.

Files are fetched into the download cache under their bucket, path and ETag
(`<cache>/s3/<bucket>/<key>/etag-<ETag>/<name>`, the name kept because readers go by its suffix), so a file
is downloaded once and reused for as long as the object is unchanged; a changed object (new ETag) is fetched
again and the copy of its old version removed. The cache stays within its bound like every download
(`cache.evict`: least recently used first, a hit counts as a use). The output storage
(defs/storage.py) connects through `s3_filesystem` and `s3_errors` too.

The ETag cache is kept by hand rather than fsspec's cached file systems (`filecache::s3://...`): those keep
their own metadata file and file names, and have no size bound shared with the HTTP downloads' cache."""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

import s3fs
from botocore.exceptions import NoCredentialsError

from sacnn_dagster.io.atomic import atomic_path
from sacnn_dagster.io.cache import CacheSettings, default_cache_folder, evict, hit
from sacnn_dagster.io.credentials import ENV_VARS, Credentials, redact
from sacnn_dagster.io.input_folder import InputFolder

#: Environment variables naming the S3-compatible endpoint (MinIO, moto, ...) of an s3:// output root or
#: catalogue, in order of precedence; neither set means AWS itself.
ENDPOINT_ENV_VARS = ("SACNN_S3_ENDPOINT_URL", "AWS_ENDPOINT_URL")


def endpoint_url_from_environment() -> str | None:
    """The S3 endpoint for outputs and catalogues: the first of `ENDPOINT_ENV_VARS` that is set."""
    return next((os.environ[v] for v in ENDPOINT_ENV_VARS if os.environ.get(v)), None)


def split_s3_url(url: str) -> tuple[str, str]:
    """`s3://bucket/some/prefix/` -> ("bucket", "some/prefix"); the prefix may be empty."""
    if not url.startswith("s3://"):
        raise ValueError(f"{url} is not an s3://bucket/prefix URL")
    bucket, _, prefix = url[len("s3://") :].partition("/")
    if not bucket:
        raise ValueError(f"{url} names no bucket: expected s3://bucket/prefix")
    return bucket, prefix.strip("/")


def s3_key(bucket: str, *parts: str) -> str:
    """`bucket/prefix/relative`, the form s3fs takes; empty parts left out."""
    return "/".join(p for p in (bucket, *parts) if p)


def find_relative(fs: s3fs.S3FileSystem, base: str) -> list[str]:
    """Every object below `base` (`bucket/prefix`) as sorted paths relative to it."""
    return sorted(rel for path in fs.find(base) if (rel := path[len(base) + 1 :]))


def s3_filesystem(credentials: Credentials, endpoint_url: str | None = None) -> s3fs.S3FileSystem:
    """An S3 file system signing with the AWS keys in `credentials`, or, when none are set, with whatever
    botocore's default chain finds (environment, ~/.aws, instance role). Never anonymous: a missing key
    must fail loudly rather than read a public bucket by accident. `endpoint_url` None means AWS itself
    (or $AWS_ENDPOINT_URL, which botocore reads). Listings are not cached: a changed object must show. Nor
    is the instance: fsspec would otherwise hand back one made earlier, with the credentials found then."""
    key, secret = credentials.aws_access_key_id, credentials.aws_secret_access_key
    if bool(key) != bool(secret):
        missing = ENV_VARS["aws_secret_access_key" if key else "aws_access_key_id"]
        raise ValueError(f"{missing} is not set: AWS keys go in pairs (or set neither to use the default chain)")
    keys = {"key": key, "secret": secret, "token": credentials.aws_session_token} if key else {}
    return s3fs.S3FileSystem(
        anon=False, endpoint_url=endpoint_url, use_listings_cache=False, skip_instance_cache=True, **keys
    )


@contextmanager
def s3_errors(url: str, credentials: Credentials) -> Iterator[None]:
    """Re-raise what S3 answers as the same kind of error, naming `url` and scrubbed of secrets."""
    try:
        yield
    except NoCredentialsError:
        raise PermissionError(
            f"{url}: no AWS credentials found: set {ENV_VARS['aws_access_key_id']} and "
            f"{ENV_VARS['aws_secret_access_key']} (or configure botocore's default chain)"
        ) from None
    except OSError as exc:
        raise type(exc)(f"{url}: {redact(str(exc), credentials)}") from None


class S3Folder(InputFolder):
    """The files below `s3://bucket/prefix`. `endpoint_url` points at an S3-compatible store (MinIO, moto)."""

    def __init__(
        self,
        location: str,
        credentials: Credentials,
        cache: CacheSettings | None = None,
        *,
        endpoint_url: str | None = None,
    ):
        self.bucket, self.prefix = split_s3_url(location)
        self.credentials = credentials
        self.cache = cache or CacheSettings(default_cache_folder())
        self.fs = s3_filesystem(credentials, endpoint_url)

    @property
    def location(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}".rstrip("/")

    def _key(self, relative: str) -> str:
        return s3_key(self.bucket, self.prefix, relative)

    def _url(self, relative: str) -> str:
        return f"s3://{self._key(relative)}"

    def list_files(self) -> list[str]:
        with s3_errors(self.location, self.credentials):
            found = find_relative(self.fs, self._key(""))
        if not found:
            raise FileNotFoundError(f"{self.location}: nothing stored under this prefix")
        return found

    def _info(self, relative: str) -> dict:
        with s3_errors(self._url(relative), self.credentials):
            return self.fs.info(self._key(relative))

    def version(self, relative: str) -> str:
        return self._info(relative)["ETag"].strip('"')

    def local_path(self, relative: str) -> Path:
        """The cached copy for the object's current ETag, downloaded first if there is none yet. The copy
        is written beside its final name and renamed into place only once its size matches and the object
        still has the ETag it was fetched under, so a reader never sees a partial or mixed file."""
        url = self._url(relative)
        info = self._info(relative)
        etag = info["ETag"].strip('"')
        versions = self.cache.folder / "s3" / self._key(relative)
        cached = versions / f"etag-{etag}" / PurePosixPath(relative).name
        if hit(cached):  # a hit counts as recent use for the least-recently-used eviction
            return cached
        with atomic_path(cached) as tmp:
            with s3_errors(url, self.credentials):
                self.fs.get_file(self._key(relative), str(tmp))
            if tmp.stat().st_size != info["size"]:
                raise OSError(f"{url}: downloaded {tmp.stat().st_size} bytes, expected {info['size']}")
            if self.version(relative) != etag:
                raise OSError(f"{url} changed while it was downloaded: run again to fetch the new version")
        for stale in versions.iterdir():
            if stale.name.startswith("etag-") and stale != cached.parent:
                shutil.rmtree(stale, ignore_errors=True)
        evict(self.cache, keep=cached, log=logging.getLogger(__name__).info)
        return cached
