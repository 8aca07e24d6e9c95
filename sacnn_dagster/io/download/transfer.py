"""One HTTP answer turned into the right error, and the resume of a cut download with an HTTP Range request.

Kept by hand: requests and urllib3 stream a body but never resume one, and the resumable-download packages
are unmaintained or bring their own threads, retries and cache. Resuming safely takes few lines, each for a
case met in practice: continue the partial file from its size with `Range`; send `If-Range` with the earlier
answer's ETag (or Last-Modified), so that a file replaced since the cut comes whole instead of spliced; accept a
206 only when it starts at the offset asked; start over on a 416 or on more bytes than announced; fsync what was
received, so that the next attempt continues from bytes that are on disk.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import requests

from sacnn_dagster.io.download.errors import DownloadError, Refused, RemoteFileNotFound, TransientError

#: Files at least this large log their progress every tenth.
PROGRESS_MIN_BYTES = 20_000_000
CHUNK_BYTES = 1 << 20
USER_AGENT = "sacnn_dagster (VIIRS night-light industrial output maps)"


def new_session() -> requests.Session:
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    return session


def raise_for_answer(resp: requests.Response, shown: str, *, ranged: bool) -> None:
    """Accept 2xx (and 416 to a Range request, for `check_resumable`); anything else raised as the right
    error: 401/403 Refused, 5xx, 408 (timeout) and 429 (throttled) TransientError, 404 RemoteFileNotFound,
    another 4xx DownloadError."""
    status = resp.status_code
    what = f"HTTP {status} {resp.reason or ''}".strip()
    if status in (401, 403):
        raise Refused(f"the server refused access ({what})")
    if status >= 500:
        raise TransientError(f"the server failed ({what})")
    if status in (408, 429):
        raise TransientError(f"the server asked to try later ({what})")
    if status == 404:
        raise RemoteFileNotFound(f"{shown}: not found ({what})")
    if status >= 400 and not (status == 416 and ranged):
        raise DownloadError(f"{shown}: the server answered {what}")


def resume_headers(part: Path, validator: dict[str, str]) -> tuple[int, dict[str, str]]:
    """Where `part` continues (its size) and the headers that ask for the rest: the bytes as stored (a .gz must
    stay gzip'd), from that offset, unless the file changed since the answer `validator` holds (If-Range)."""
    part.parent.mkdir(parents=True, exist_ok=True)
    offset = part.stat().st_size if part.exists() else 0
    extra = {"Accept-Encoding": "identity"}
    if offset:
        extra["Range"] = f"bytes={offset}-"
        if validator:
            extra["If-Range"] = validator["value"]  # a changed remote file is sent whole
    return offset, extra


def check_resumable(resp: requests.Response, part: Path) -> None:
    """A 416 (the range asked lies beyond the remote file) discards the partial file."""
    if resp.status_code == 416:
        part.unlink()
        raise TransientError("the partial download does not fit the remote file; starting over")


def receive(
    resp: requests.Response, part: Path, offset: int, validator: dict[str, str], log: Callable[[str], None]
) -> int | None:
    """Write the body into `part`, after its first `offset` bytes for a 206, from the start otherwise, keeping
    the answer's validator for the If-Range of a later resume. Returns the whole file's size when the server
    says it. Progress of a large file goes to `log` every tenth."""
    if value := resp.headers.get("ETag") or resp.headers.get("Last-Modified"):
        validator["value"] = value
    total = _expected_size(resp, offset, part)
    if resp.status_code != 206:
        offset = 0
    with open(part, "ab" if offset else "wb") as fh:
        try:
            _stream(resp, fh, offset, total, log)
        finally:
            fh.flush()
            os.fsync(fh.fileno())
    return total


def check_complete(part: Path, total: int | None) -> None:
    """A short file is continued at the next attempt; a longer one than announced is started over."""
    size = part.stat().st_size
    if total is not None and size < total:
        raise TransientError(f"the connection ended after {size} of {total} bytes")
    if total is not None and size > total:
        part.unlink()
        raise TransientError(f"received {size} bytes, more than the announced {total}; starting over")


def _expected_size(resp: requests.Response, offset: int, part: Path) -> int | None:
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


def _stream(resp: requests.Response, fh, offset: int, total: int | None, log: Callable[[str], None]) -> None:
    """Copy the body to `fh` in chunks, logging every tenth of a large file."""
    done = offset
    report = total is not None and total >= PROGRESS_MIN_BYTES
    next_tenth = int(10 * done / total) + 1 if report else 0
    for chunk in resp.raw.stream(CHUNK_BYTES, decode_content=False):
        fh.write(chunk)
        done += len(chunk)
        if report and 10 * done >= next_tenth * total:
            next_tenth = int(10 * done / total) + 1
            log(f"{done / total:.0%} of {total / 1e6:.0f} MB")
