"""`Downloader`: verified copies of remote files in the shared cache, and the listings and versions beside them.
What each step guards against is said in the package's docstring."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import requests

from sacnn_dagster.io.cache import CacheSettings, default_cache_folder, evict, hit
from sacnn_dagster.io.credentials import Credentials, redact
from sacnn_dagster.io.download.errors import DownloadError, Refused
from sacnn_dagster.io.download.lock import download_slots, file_lock
from sacnn_dagster.io.download.names import KINDS, cache_key, display_url
from sacnn_dagster.io.download.retry import with_retries
from sacnn_dagster.io.download.transfer import (
    check_complete,
    check_resumable,
    new_session,
    raise_for_answer,
    receive,
    resume_headers,
)
from sacnn_dagster.io.download.verify import check_download, is_login_page, refuse_html_answer
from sacnn_dagster.io.local_faults import local_fault, with_path

T = TypeVar("T")


class Downloader:
    """Fetches URLs into a verified cache (see the package docstring). `headers` supplies auth headers
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
        self._slots = download_slots(self.cache.folder, max_concurrent)
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
        if hit(final):
            return final
        part = self.cache.folder / "partial" / key.with_name(key.name + ".part")
        with file_lock(part.with_name(key.name + ".lock")):
            if hit(final):  # another process finished it while we waited
                return final
            if kind == "text":
                part.unlink(missing_ok=True)  # no check would catch a splice of two versions of a text
            validator: dict[str, str] = {}
            try:
                self._attempts(url, lambda: self._download_once(url, part, kind, validator))
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(part, final)
            except OSError as exc:  # a full or read-only cache: permanent, and named (a write's error names no file)
                if (fault := local_fault(exc)) is None:
                    raise
                raise with_path(fault, part) from exc
        evict(self.cache, keep=final, log=self.log)
        return final

    def get_text(self, url: str) -> str:
        """The text at `url` (a listing, small JSON), with the same retries, auth and login-page checks
        as `fetch`; not cached (listings change)."""

        def once() -> str:
            with self._slots, self._request(url, {}) as resp:
                text = resp.text
            if is_login_page(text):
                raise Refused("the server answered with a login page")
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

    def _shown(self, url: str) -> str:
        """`url` as messages name it: without credentials or any secret."""
        return redact(display_url(url), self.secrets)

    def _session(self) -> requests.Session:
        """One session per thread (connection reuse without sharing a Session between threads)."""
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = new_session()
        return session

    def _attempts(self, url: str, once: Callable[[], T]) -> T:
        """`once` with retries on transient failures and one renewal of the credentials after a refusal."""
        return with_retries(
            once,
            shown=self._shown(url),
            retries=self.retries,
            backoff_s=self.backoff_s,
            log=self.log,
            clean=lambda text: redact(text, self.secrets),
            renew=self.refresh_auth,
            auth_hint=self.auth_hint,
        )

    @contextmanager
    def _request(self, url: str, extra: dict[str, str], method: str = "GET") -> Iterator[requests.Response]:
        """A streamed request whose status is acceptable (see `raise_for_answer`)."""
        resp = self._session().request(
            method, url, headers={**self.headers(), **extra}, stream=True, timeout=self.timeout_s, allow_redirects=True
        )
        with resp:
            raise_for_answer(resp, self._shown(url), ranged="Range" in extra)
            yield resp

    def _download_once(self, url: str, part: Path, kind: str, validator: dict[str, str]) -> None:
        """One attempt: continue `part` from its size (HTTP Range) or start it over, then verify it.
        A cut leaves `part` for the next attempt; a wrong file removes it."""
        offset, extra = resume_headers(part, validator)
        with self._slots, self._request(url, extra) as resp:
            check_resumable(resp, part)
            refuse_html_answer(resp, kind)
            total = receive(resp, part, offset, validator, lambda text: self.log(f"{self._shown(url)}: {text}"))
        check_complete(part, total)
        try:
            check_download(part, kind)
        except ValueError as exc:
            message = f"{display_url(url)}: the download is not a valid {kind} file and was not kept: {exc}"
            raise DownloadError(redact(message, self.secrets)) from None
