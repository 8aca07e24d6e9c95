"""Which download faults are retried: a throttled or failing server is (HTTP 408, 429, 5xx), a refusal of the
request itself is not, and a full download cache is a permanent local fault naming the cache file."""

from __future__ import annotations

import errno
import time
from types import SimpleNamespace

import pytest

from sacnn_dagster.io.cache import CacheSettings
from sacnn_dagster.io.download import Downloader, DownloadError, TransientError
from sacnn_dagster.io.download.transfer import raise_for_answer
from sacnn_dagster.io.local_faults import LocalFault
from sacnn_dagster.io.transient import is_transient


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_throttling_timeouts_and_server_errors_are_transient(status):
    with pytest.raises(TransientError):
        raise_for_answer(SimpleNamespace(status_code=status, reason="x"), "https://eog/x.tif", ranged=False)


@pytest.mark.parametrize("status", [400, 410, 422])
def test_a_refused_request_is_not_retried(status):
    with pytest.raises(DownloadError) as caught:
        raise_for_answer(SimpleNamespace(status_code=status, reason="x"), "https://eog/x.tif", ranged=False)
    assert not isinstance(caught.value, TransientError) and not is_transient(caught.value)


def test_a_full_cache_fails_at_once_naming_the_cache_file(tmp_path, monkeypatch):
    tries = []

    def no_space(self, url, part, kind, validator):
        tries.append(part)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Downloader, "_download_once", no_space)
    dl = Downloader(CacheSettings(tmp_path / "cache", max_bytes=None), retries=3, backoff_s=1.0, log=lambda _: None)
    started = time.perf_counter()
    with pytest.raises(LocalFault) as caught:
        dl.fetch("http://127.0.0.1:9/d/a.tif", kind="raster")
    assert time.perf_counter() - started < 1 and len(tries) == 1  # no backoff, no retry
    first = str(caught.value).splitlines()[0]
    assert first.startswith("No space left on device: ") and str(tries[0]) in first
    assert not is_transient(caught.value)
