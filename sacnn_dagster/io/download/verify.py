"""Whether a download is the file asked for, and all of it, before anyone sees it.

Kept by hand: what it checks belongs to these servers and formats, which no download library knows. EOG answers
an expired token with HTTP 200 and its login page; a cut gzip or tar stream opens fine and fails (or reads short)
only at its end; a raster or HDF5 file is complete when GDAL, which reads it later, can open it. Each check is
done by the library that reads the file afterwards (gzip, tarfile, rasterio).
"""

from __future__ import annotations

import gzip
import re
import tarfile
import warnings
import zlib
from pathlib import Path

import rasterio
import requests

from sacnn_dagster.io.download.errors import Refused
from sacnn_dagster.io.download.transfer import CHUNK_BYTES

# Black Marble's HDF5 datasets carry no geotransform by design (the tile name gives it); GDAL's warning
# would otherwise repeat for every read. A process-wide filter, because warnings.catch_warnings is not
# thread-safe and tiles are read in parallel.
warnings.filterwarnings("ignore", category=rasterio.errors.NotGeoreferencedWarning)

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
HTML_INSTEAD = "the server answered with an HTML page (a login page?) instead of the file"
_PASSWORD_FIELD = re.compile(r"<input[^>]*type\s*=\s*[\"']?password", re.IGNORECASE)


def is_login_page(text: str) -> bool:
    """A page asking for a password (EOG's Keycloak login, any sign-in form), not a directory index."""
    return bool(_PASSWORD_FIELD.search(text))


def refuse_html_answer(resp: requests.Response, kind: str) -> None:
    """An HTML page where a file of `kind` (other than text) was asked for is a refusal in disguise."""
    if kind != "text" and resp.headers.get("Content-Type", "").startswith("text/html"):
        raise Refused(HTML_INSTEAD)


def check_download(part: Path, kind: str) -> None:
    """Raise Refused for an HTML page instead of the file (any page for a binary kind, a login page for text),
    ValueError saying why `part` is not a complete file of `kind`; either way `part` is removed."""
    with open(part, "rb") as fh:
        head = fh.read(65536)
    if _starts_like_html(head) and (kind != "text" or is_login_page(head.decode("utf-8", "replace"))):
        part.unlink()
        raise Refused(HTML_INSTEAD)
    try:
        _verify(part, kind)
    except ValueError:
        part.unlink()
        raise


def _starts_like_html(head: bytes) -> bool:
    return head.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html"))


def _check_gzip_stream(fh) -> None:
    """Read a gzip stream to its end: a truncated or corrupted one raises (CRC and length are checked)."""
    while fh.read(CHUNK_BYTES):
        pass


def _verify(path: Path, kind: str) -> None:
    """Raise ValueError saying why `path` is not a complete file of `kind`."""
    if kind == "text":
        return
    with open(path, "rb") as fh:
        magic = fh.read(2)
    if not magic:
        raise ValueError("the file is empty")
    try:
        if kind == "tar":
            gzipped = magic == b"\x1f\x8b"
            with gzip.open(path, "rb") if gzipped else open(path, "rb") as raw:
                with tarfile.open(fileobj=raw, mode="r|") as tar:
                    members = [m.name for m in tar]
                if gzipped:
                    _check_gzip_stream(raw)
            if not members:
                raise ValueError("the archive holds no files")
        elif kind == "gzip":
            with gzip.open(path, "rb") as raw:
                _check_gzip_stream(raw)
            _check_raster(f"/vsigzip/{path}")
        elif kind == "raster":
            _check_raster(str(path))
        elif kind == "hdf5":
            _check_hdf5(path)
    except (OSError, EOFError, zlib.error, tarfile.TarError) as exc:
        raise ValueError(f"{type(exc).__name__}: {exc}") from None


def _check_raster(gdal_path: str) -> None:
    # GDAL would otherwise leave a `.properties` index beside a .gz it reads
    with rasterio.Env(CPL_VSIL_GZIP_WRITE_PROPERTIES="NO"):
        try:
            with rasterio.open(gdal_path) as ds:
                if ds.count < 1:
                    raise ValueError("the raster has no band")
        except rasterio.errors.RasterioIOError as exc:
            raise ValueError(f"not a readable raster ({exc})") from None


def _check_hdf5(path: Path) -> None:
    """The HDF5 signature (at 0 or after a user block of 512·2^n bytes), then GDAL lists its datasets."""
    size = path.stat().st_size
    offsets = [0] + [512 << n for n in range(40) if (512 << n) < size]
    with open(path, "rb") as fh:
        for offset in offsets:
            fh.seek(offset)
            if fh.read(8) == HDF5_SIGNATURE:
                break
        else:
            raise ValueError("no HDF5 signature")
    try:
        with rasterio.open(path) as ds:
            if not ds.subdatasets and ds.count < 1:
                raise ValueError("GDAL finds no dataset in the HDF5 file")
    except rasterio.errors.RasterioIOError as exc:
        raise ValueError(f"GDAL cannot open the HDF5 file ({exc})") from None
