"""The input folder a location names: an S3 prefix, an HTTP index or a local folder, behind one interface."""

from __future__ import annotations

import os

from sacnn_dagster.io.cache import CacheSettings
from sacnn_dagster.io.credentials import Credentials
from sacnn_dagster.io.http_folder import HttpFolder
from sacnn_dagster.io.input_folder import InputFolder, LocalFolder
from sacnn_dagster.io.s3_folder import S3Folder


def open_input_folder(
    location: str | os.PathLike,
    credentials: Credentials | None = None,
    cache: CacheSettings | None = None,
    *,
    s3_endpoint_url: str | None = None,
) -> InputFolder:
    """The input folder at `location`: `s3://bucket/prefix`, `http(s)://host/path/` (an index page
    listing files and subfolders, as Apache and nginx serve them), or a local path."""
    location = str(location)
    if location.startswith("s3://"):
        return S3Folder(location, credentials or Credentials(), cache, endpoint_url=s3_endpoint_url)
    if location.startswith(("http://", "https://")):
        return HttpFolder(location, credentials or Credentials(), cache)
    return LocalFolder(location)
