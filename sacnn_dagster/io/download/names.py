"""What a URL or a file name says: the kind of file to verify, the URL fit for a message, its place in the cache."""

from __future__ import annotations

import hashlib
import re
from pathlib import PurePosixPath
from urllib.parse import urlsplit, urlunsplit

KINDS = ("tar", "gzip", "raster", "hdf5", "text")


def kind_for_name(name: str) -> str:
    """The `fetch` kind a file name implies: .tgz/.tar.gz tar, .tif.gz gzip, .tif raster, .h5 hdf5, else text."""
    lower = name.lower()
    if lower.endswith((".tgz", ".tar.gz", ".tar")):
        return "tar"
    if lower.endswith((".tif.gz", ".tiff.gz")):
        return "gzip"
    if lower.endswith((".tif", ".tiff")):
        return "raster"
    if lower.endswith((".h5", ".hdf5", ".he5")):
        return "hdf5"
    return "text"


def display_url(url: str) -> str:
    """`url` fit for a message: without any user:password@ part."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    return urlunsplit(parts._replace(netloc=f"{host}:{parts.port}" if parts.port else host))


def _safe(segment: str) -> str:
    """One path segment safe on any disk; anything changed or shortened gets a hash prefix, so two
    different segments never map to the same one (the end, with the extension, is kept)."""
    clean = re.sub(r"[^A-Za-z0-9._-]", "_", segment).lstrip(".")
    if clean == segment and 0 < len(clean) <= 100:
        return clean
    return f"{hashlib.sha256(segment.encode()).hexdigest()[:10]}_{clean[-90:]}"


def cache_key(url: str, version: str | None = None) -> PurePosixPath:
    """Where `url` (in `version`) lives below the cache: host, the URL's path, then `q-…` for a query and
    `v-…` for a version, ending in the file's own name."""
    parts = urlsplit(url)
    host = f"{parts.hostname}_{parts.port}" if parts.port else str(parts.hostname)
    segments = [s for s in parts.path.split("/") if s]
    name = "index.html" if parts.path.endswith("/") or not segments else segments.pop()
    if parts.query:
        segments.append(f"q-{hashlib.sha256(parts.query.encode()).hexdigest()[:12]}")
    if version:
        segments.append(f"v-{version}")
    return PurePosixPath(*(_safe(s) for s in (host, *segments, name)))
