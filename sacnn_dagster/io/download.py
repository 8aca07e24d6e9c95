"""Downloads a person can trust: every remote input file goes through `Downloader.fetch`.

Why so careful: EOG answers an expired token with HTTP 200 and a login page, connections to remote
archives get cut in the middle of multi-GB files, and a half-written or truncated composite read later
gives silently wrong night lights. So a download is

- streamed into `{cache}/partial/...part` and resumed with an HTTP Range request after a cut;
- retried with exponential backoff on timeouts, cut connections and HTTP 5xx (never on other 4xx);
- on HTTP 401/403 or an HTML page, re-authenticated once (`refresh_auth`), then refused with an
  `AuthenticationError` naming the environment variables to set;
- verified (length, gzip stream to its end, tar listing, opens as a raster / HDF5) before it is renamed
  to its final name under `{cache}/http/`, so nothing half-written or wrong is ever visible there;
- limited in concurrency (a slot semaphore shared by all Downloaders of the process on the same cache,
  and an `fcntl` lock per file so two processes never download the same file at once);
- kept in a cache shared across runs and bounded by `CacheSettings.max_bytes`: least recently used
  files go first (a cache hit touches the file's times).

Secrets never reach an exception or a log line: headers carry them, URLs never do, and every message is
scrubbed with `redact`.
"""

from __future__ import annotations

import fcntl
import gzip
import hashlib
import logging
import os
import re
import tarfile
import threading
import time
import warnings
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

import rasterio
import requests
import urllib3

from sacnn_dagster.io.cache import CacheSettings, default_cache_folder
from sacnn_dagster.io.credentials import Credentials, redact

# Black Marble's HDF5 datasets carry no geotransform by design (the tile name gives it); GDAL's warning
# would otherwise repeat for every read. A process-wide filter, because warnings.catch_warnings is not
# thread-safe and tiles are read in parallel.
warnings.filterwarnings("ignore", category=rasterio.errors.NotGeoreferencedWarning)

KINDS = ("tar", "gzip", "raster", "hdf5", "text")
#: Files at least this large log their progress every tenth.
PROGRESS_MIN_BYTES = 20_000_000
CHUNK_BYTES = 1 << 20
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
USER_AGENT = "sacnn_dagster (VIIRS night-light industrial output maps)"

T = TypeVar("T")


class DownloadError(RuntimeError):
    """A remote file could not be had; the message names the URL (without secrets) and what was wrong."""


class AuthenticationError(DownloadError):
    """The server refused the credentials (or asked for some); the message names the variables to set."""


class TransientError(DownloadError):
    """A failure worth another try (timeout, cut connection, HTTP 5xx); `Downloader` retries these."""


class RetriesExhausted(DownloadError):
    """Transient failures went on through every retry (a server down for a while): a later try may succeed."""


class RemoteFileNotFound(DownloadError, FileNotFoundError):
    """HTTP 404: also a FileNotFoundError, so callers treat a missing remote file like a missing local one."""


class _Refused(Exception):
    """HTTP 401/403 or a login page: re-authenticate once, then give up."""


#: Network failures that another try may cure (requests wraps most; urllib3's surface while streaming).
_NETWORK_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    urllib3.exceptions.HTTPError,
)

_SLOTS: dict[Path, threading.BoundedSemaphore] = {}
_SLOTS_LOCK = threading.Lock()


def _slots(folder: Path, size: int) -> threading.BoundedSemaphore:
    """The process-wide download slots of one cache folder (sized by the first Downloader on it)."""
    with _SLOTS_LOCK:
        return _SLOTS.setdefault(folder.resolve(), threading.BoundedSemaphore(size))


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


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """An exclusive `flock` on `path`: other processes (and threads, each with its own open) wait."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _starts_like_html(head: bytes) -> bool:
    return head.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html"))


_PASSWORD_FIELD = re.compile(r"<input[^>]*type\s*=\s*[\"']?password", re.IGNORECASE)


def is_login_page(text: str) -> bool:
    """A page asking for a password (EOG's Keycloak login, any sign-in form), not a directory index."""
    return bool(_PASSWORD_FIELD.search(text))


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


def evict(cache: CacheSettings, keep: Path | None = None, log: Callable[[str], None] | None = None) -> list[Path]:
    """Delete least recently used files (oldest modification time; a cache hit touches it) until the
    cache holds at most `cache.max_bytes`; never `keep` nor partial downloads. The bound covers every
    file in the cache folder, whoever wrote it. Returns the files deleted."""
    if cache.max_bytes is None or not cache.folder.is_dir():
        return []
    partial = cache.folder / "partial"
    files = []
    for dirpath, dirnames, names in os.walk(cache.folder):
        if Path(dirpath) == partial.parent:
            dirnames[:] = [d for d in dirnames if d != partial.name]
        for name in names:
            path = Path(dirpath) / name
            try:
                st = path.stat()
            except FileNotFoundError:  # another process evicted it meanwhile
                continue
            files.append((st.st_mtime, st.st_size, path))
    total = sum(size for _, size, _ in files)
    deleted = []
    for _, size, path in sorted(files):
        if total <= cache.max_bytes:
            break
        if keep is not None and path == keep:
            continue
        path.unlink(missing_ok=True)
        total -= size
        deleted.append(path)
    if deleted and log:
        log(
            f"download cache {cache.folder}: evicted {len(deleted)} least recently used file(s) to stay "
            f"under {cache.max_bytes / 1e9:.1f} GB"
        )
    return deleted


class Downloader:
    """Fetches URLs into a verified cache (see the module docstring). `headers` supplies auth headers
    for each request (called anew each time, so a refreshed token is used); `refresh_auth` renews them
    once after a refusal; `auth_hint` says which environment variables to set; `secrets` are scrubbed
    from every message."""

    def __init__(
        self,
        cache: CacheSettings | None,
        *,
        headers: Callable[[], dict[str, str]] | None = None,
        refresh_auth: Callable[[], None] | None = None,
        auth_hint: str = "",
        secrets: Credentials | None = None,
        max_concurrent: int = 2,
        retries: int = 4,
        backoff_s: float = 1.0,
        timeout_s: float = 60.0,
        log: Callable[[str], None] | None = None,
    ):
        self.cache = cache or CacheSettings(default_cache_folder())
        self.headers = headers or dict
        self.refresh_auth = refresh_auth
        self.auth_hint = auth_hint
        self.secrets = secrets
        self.retries = retries
        self.backoff_s = backoff_s
        self.timeout_s = timeout_s
        self.log = log or logging.getLogger(__name__).info
        self._slots = _slots(self.cache.folder, max_concurrent)
        self._local = threading.local()

    # -- public -------------------------------------------------------------------------------------

    def fetch(self, url: str, *, kind: str, version: str | None = None) -> Path:
        """A verified local copy of `url` in the cache. kind: 'tar' (.tgz), 'gzip' (.tif.gz), 'raster'
        (.tif), 'hdf5' (.h5), 'text' (csv/json/html listing). `version`: part of the cache key (e.g.
        processing stamp, ETag) so a changed remote file is fetched again; same url+version is served from
        the cache."""
        if kind not in KINDS:
            raise ValueError(f"unknown download kind {kind!r}; expected one of {KINDS}")
        key = cache_key(url, version)
        final = self.cache.folder / "http" / key
        if self._hit(final):
            return final
        part = self.cache.folder / "partial" / key.with_name(key.name + ".part")
        with _file_lock(part.with_name(key.name + ".lock")):
            if self._hit(final):  # another process finished it while we waited
                return final
            if kind == "text":
                part.unlink(missing_ok=True)  # no check would catch a splice of two versions of a text
            validator: dict[str, str] = {}
            self._attempts(url, lambda: self._download_once(url, part, kind, validator))
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(part, final)
        evict(self.cache, keep=final, log=self.log)
        return final

    def get_text(self, url: str) -> str:
        """The text at `url` (a listing, small JSON), with the same retries, auth and login-page checks
        as `fetch`; not cached (listings change)."""

        def once() -> str:
            with self._slots, self._request(url, {}) as resp:
                text = resp.text
            if is_login_page(text):
                raise _Refused("the server answered with a login page")
            return text

        return self._attempts(url, once)

    def remote_version(self, url: str) -> str | None:
        """What the server says identifies the file's current content (ETag, else Last-Modified and
        length), from a HEAD request; None when it says nothing. Pass it to `fetch` as `version` for a file
        that changes under the same URL."""

        def once() -> str | None:
            with self._slots, self._request(url, {}, method="HEAD") as resp:
                etag, modified = resp.headers.get("ETag"), resp.headers.get("Last-Modified")
                length = resp.headers.get("Content-Length", "")
            return etag or (f"{modified}|{length}" if modified else None)

        return self._attempts(url, once)

    # -- internals ----------------------------------------------------------------------------------

    def _hit(self, final: Path) -> bool:
        """Whether `final` is cached; touches it so the eviction sees it as recently used."""
        try:
            os.utime(final)
            return True
        except FileNotFoundError:
            return False

    def _clean(self, text: str) -> str:
        return redact(text, self.secrets)

    def _session(self) -> requests.Session:
        """One session per thread (connection reuse without sharing a Session between threads)."""
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            session.headers["User-Agent"] = USER_AGENT
        return session

    def _attempts(self, url: str, once: Callable[[], T]) -> T:
        """Run `once` until it succeeds: transient failures retried with exponential backoff, a refusal
        re-authenticated once; everything else raised as it is."""
        shown = self._clean(display_url(url))
        failures = 0
        refresh_pending = refreshed = False
        while True:
            try:
                if refresh_pending:
                    self.refresh_auth()
                    refresh_pending = False
                return once()
            except _Refused as exc:
                if self.refresh_auth is not None and not refreshed:
                    refreshed = refresh_pending = True
                    self.log(f"{shown}: {exc}; renewing the credentials once")
                    continue
                hint = f": {self.auth_hint}" if self.auth_hint else ""
                message = f"{shown}: {exc}; access needs valid credentials{hint}"
                raise AuthenticationError(self._clean(message)) from None
            except (TransientError, *_NETWORK_ERRORS) as exc:
                failures += 1
                reason = self._clean(str(exc) or type(exc).__name__)
                if failures > self.retries:
                    raise RetriesExhausted(
                        f"{shown}: gave up after {failures} attempts; last error: {reason}"
                    ) from None
                delay = self.backoff_s * 2 ** (failures - 1)
                self.log(f"{shown}: {reason}; retry {failures}/{self.retries} in {delay:.2f} s")
                time.sleep(delay)

    @contextmanager
    def _request(self, url: str, extra: dict[str, str], method: str = "GET") -> Iterator[requests.Response]:
        """A streamed request whose status is acceptable (2xx, or 416 to a Range request); anything else
        raised as the right error."""
        resp = self._session().request(
            method, url, headers={**self.headers(), **extra}, stream=True, timeout=self.timeout_s, allow_redirects=True
        )
        with resp:
            status = resp.status_code
            what = f"HTTP {status} {resp.reason or ''}".strip()
            if status in (401, 403):
                raise _Refused(f"the server refused access ({what})")
            if status >= 500:
                raise TransientError(f"the server failed ({what})")
            if status == 404:
                raise RemoteFileNotFound(f"{self._clean(display_url(url))}: not found ({what})")
            if status >= 400 and not (status == 416 and "Range" in extra):
                raise DownloadError(f"{self._clean(display_url(url))}: the server answered {what}")
            yield resp

    def _download_once(self, url: str, part: Path, kind: str, validator: dict[str, str]) -> None:
        """One attempt: continue `part` from its size (HTTP Range) or start it over, then verify it.
        A cut leaves `part` for the next attempt; a wrong file removes it."""
        part.parent.mkdir(parents=True, exist_ok=True)
        offset = part.stat().st_size if part.exists() else 0
        extra = {"Accept-Encoding": "identity"}  # the bytes as stored: a .gz must stay gzip'd
        if offset:
            extra["Range"] = f"bytes={offset}-"
            if validator:
                extra["If-Range"] = validator["value"]  # a changed remote file is sent whole
        with self._slots, self._request(url, extra) as resp:
            if resp.status_code == 416:
                part.unlink()
                raise TransientError("the partial download does not fit the remote file; starting over")
            content_type = resp.headers.get("Content-Type", "")
            if kind != "text" and content_type.startswith("text/html"):
                raise _Refused("the server answered with an HTML page (a login page?) instead of the file")
            if value := resp.headers.get("ETag") or resp.headers.get("Last-Modified"):
                validator["value"] = value
            total = self._expected_size(resp, offset, part)
            if resp.status_code != 206:
                offset = 0
            with open(part, "ab" if offset else "wb") as fh:
                try:
                    self._stream(resp, fh, offset, total, url)
                finally:
                    fh.flush()
                    os.fsync(fh.fileno())
        size = part.stat().st_size
        if total is not None and size < total:
            raise TransientError(f"the connection ended after {size} of {total} bytes")
        if total is not None and size > total:
            part.unlink()
            raise TransientError(f"received {size} bytes, more than the announced {total}; starting over")
        with open(part, "rb") as fh:
            head = fh.read(65536)
        if _starts_like_html(head) and (kind != "text" or is_login_page(head.decode("utf-8", "replace"))):
            part.unlink()
            raise _Refused("the server answered with an HTML page (a login page?) instead of the file")
        try:
            _verify(part, kind)
        except ValueError as exc:
            part.unlink()
            raise DownloadError(
                self._clean(f"{display_url(url)}: the download is not a valid {kind} file and was not kept: {exc}")
            ) from None

    def _expected_size(self, resp: requests.Response, offset: int, part: Path) -> int | None:
        """The whole file's size from Content-Range (206) or Content-Length (200); a 206 that does not
        continue at `offset` discards the partial file."""
        if resp.status_code == 206:
            m = re.fullmatch(r"bytes (\d+)-\d+/(\d+|\*)", resp.headers.get("Content-Range", ""))
            if not m or int(m.group(1)) != offset:
                part.unlink()
                raise TransientError("the server resumed at another offset than asked; starting over")
            return None if m.group(2) == "*" else int(m.group(2))
        length = resp.headers.get("Content-Length")
        return int(length) if length and length.isdigit() else None

    def _stream(self, resp: requests.Response, fh, offset: int, total: int | None, url: str) -> None:
        """Copy the body to `fh` in chunks, logging every tenth of a large file."""
        done = offset
        report = total is not None and total >= PROGRESS_MIN_BYTES
        next_tenth = int(10 * done / total) + 1 if report else 0
        for chunk in resp.raw.stream(CHUNK_BYTES, decode_content=False):
            fh.write(chunk)
            done += len(chunk)
            if report and 10 * done >= next_tenth * total:
                next_tenth = int(10 * done / total) + 1
                self.log(f"{self._clean(display_url(url))}: {done / total:.0%} of {total / 1e6:.0f} MB")
