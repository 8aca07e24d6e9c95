"""The verified download cache against a real HTTP server on loopback (tests/servers/eog.py)."""

import threading
import time

import h5py
import numpy as np
import pytest

from sacnn_dagster.demo.writers import geotiff_bytes, gzip_bytes, tgz_bytes
from sacnn_dagster.geo.grid import lattice_window
from sacnn_dagster.io.cache import CacheSettings
from sacnn_dagster.io.credentials import Credentials
from sacnn_dagster.io.download import (
    AuthenticationError,
    Downloader,
    DownloadError,
    RemoteFileNotFound,
    cache_key,
    evict,
    kind_for_name,
)
from sacnn_dagster.io.download.errors import Refused, TransientError
from sacnn_dagster.io.download.retry import with_retries
from tests.servers.eog import TreeServer

TOKEN = "s3cr3t-token-value"


@pytest.fixture(scope="module")
def files():
    grid = lattice_window((121.1, 31.0, 121.3, 31.2))
    rng = np.random.default_rng(0)
    tif = geotiff_bytes(rng.random(grid.shape, dtype=np.float32), grid)
    return {
        "d/a.tif": tif,
        "d/a.tif.gz": gzip_bytes(tif, "a.tif"),
        "d/a.tgz": tgz_bytes([("a.avg_rade9h.tif", tif), ("a.cf_cvg.tif", tif)]),
        "d/a.csv": "id,name\n1,工厂\n".encode() * 2000,
        "d/b.csv": b"id\n" + b"2\n" * 5000,
        "d/c.csv": b"id\n" + b"3\n" * 5000,
        "d/not-a.tif": b"II*\x00" + bytes(300),
    }


@pytest.fixture
def server(files):
    with TreeServer(dict(files), slow_s=0.6) as srv:
        yield srv


def downloader(tmp_path, **kw):
    options = {"retries": 3, "backoff_s": 0.01, "timeout_s": 5.0, "log": lambda _: None}
    return Downloader(CacheSettings(tmp_path / "cache", max_bytes=None), **{**options, **kw})


def visible_files(tmp_path):
    return sorted(p.name for p in (tmp_path / "cache" / "http").rglob("*") if p.is_file())


@pytest.mark.parametrize(
    ("name", "kind"), [("a.tif", "raster"), ("a.tif.gz", "gzip"), ("a.tgz", "tar"), ("a.csv", "text")]
)
def test_fetch_verifies_keeps_and_reuses(server, files, tmp_path, name, kind):
    dl = downloader(tmp_path)
    path = dl.fetch(f"{server.url}/d/{name}", kind=kind)
    assert path.read_bytes() == files[f"d/{name}"]
    assert path.name == name and (tmp_path / "cache" / "http") in path.parents
    before = len(server.hits)
    assert dl.fetch(f"{server.url}/d/{name}", kind=kind) == path
    assert len(server.hits) == before, "a second fetch must be served from the cache"
    assert not list((tmp_path / "cache" / "partial").rglob("*.part"))


def test_a_new_version_is_fetched_again(server, tmp_path):
    dl = downloader(tmp_path)
    first = dl.fetch(f"{server.url}/d/a.csv", kind="text", version="c201401")
    again = dl.fetch(f"{server.url}/d/a.csv", kind="text", version="c201401")
    newer = dl.fetch(f"{server.url}/d/a.csv", kind="text", version="c201405")
    assert first == again != newer
    assert len(server.downloads()) == 2


def test_cut_connection_is_resumed_with_range(server, files, tmp_path):
    server.fail("d/a.tgz", "cut")
    path = downloader(tmp_path).fetch(f"{server.url}/d/a.tgz", kind="tar")
    assert path.read_bytes() == files["d/a.tgz"]
    first, second = [h for h in server.hits if h.path == "/d/a.tgz"]
    assert (first.status, first.range) == (200, None)
    assert second.status == 206 and second.range == f"bytes={len(files['d/a.tgz']) // 2}-"


def test_resume_restarts_when_the_remote_file_changed(server, files, tmp_path):
    """If-Range: a file replaced between the cut and the resume is sent whole, never spliced."""
    server.fail("d/a.csv", "cut")
    replaced = b"id\n" + b"9\n" * 7000

    def on_retry(line):
        server.files["d/a.csv"] = replaced

    path = downloader(tmp_path, log=on_retry).fetch(f"{server.url}/d/a.csv", kind="text")
    assert path.read_bytes() == replaced
    assert [h.status for h in server.hits if h.path == "/d/a.csv"] == [200, 200]


def test_server_errors_are_retried_with_backoff(server, files, tmp_path):
    server.fail("d/a.tif", "500", "500")
    lines = []
    path = downloader(tmp_path, log=lines.append).fetch(f"{server.url}/d/a.tif", kind="raster")
    assert path.read_bytes() == files["d/a.tif"]
    assert [h.status for h in server.hits] == [500, 500, 200]
    assert ["retry 1/3 in 0.01 s" in lines[0], "retry 2/3 in 0.02 s" in lines[1]] == [True, True]


def test_gives_up_after_the_retries_and_shows_nothing(server, tmp_path):
    server.fail("d/a.tif", *["500"] * 4)
    with pytest.raises(DownloadError, match=r"d/a\.tif: gave up after 4 attempts; last error: .*HTTP 500"):
        downloader(tmp_path).fetch(f"{server.url}/d/a.tif", kind="raster")
    assert visible_files(tmp_path) == []


def test_slow_answer_times_out_then_retries(server, files, tmp_path):
    server.fail("d/a.tif.gz", "slow")
    lines = []
    start = time.monotonic()
    path = downloader(tmp_path, timeout_s=0.3, log=lines.append).fetch(f"{server.url}/d/a.tif.gz", kind="gzip")
    assert path.read_bytes() == files["d/a.tif.gz"]
    assert time.monotonic() - start < 3
    assert len(lines) == 1 and "timed out" in lines[0] and "retry 1/3" in lines[0]


def test_client_errors_are_not_retried(server, tmp_path):
    with pytest.raises(RemoteFileNotFound, match="d/missing.tif: not found") as caught:
        downloader(tmp_path).fetch(f"{server.url}/d/missing.tif", kind="raster")
    assert isinstance(caught.value, FileNotFoundError)
    assert len(server.hits) == 1


@pytest.mark.parametrize(("name", "kind"), [("a.tif.gz", "gzip"), ("a.tgz", "tar")])
def test_truncated_gzip_is_rejected_and_not_kept(server, files, tmp_path, name, kind):
    server.fail(f"d/{name}", "truncated_gzip")
    dl = downloader(tmp_path)
    with pytest.raises(DownloadError, match=rf"d/{name}: the download is not a valid {kind} file and was not kept"):
        dl.fetch(f"{server.url}/d/{name}", kind=kind)
    assert visible_files(tmp_path) == []
    assert not list((tmp_path / "cache" / "partial").rglob("*.part"))
    assert dl.fetch(f"{server.url}/d/{name}", kind=kind).read_bytes() == files[f"d/{name}"]


def test_a_file_that_is_no_raster_is_rejected(server, tmp_path):
    with pytest.raises(DownloadError, match="not a valid raster file"):
        downloader(tmp_path).fetch(f"{server.url}/d/not-a.tif", kind="raster")
    assert visible_files(tmp_path) == []


def test_hdf5_is_checked_by_signature_and_gdal(tmp_path):
    h5 = tmp_path / "t.h5"
    with h5py.File(h5, "w") as f:
        f.create_dataset("HDFEOS/GRIDS/VIIRS_Grid_DNB_2d/Data Fields/A", data=np.ones((4, 4), np.float32))
    data = h5.read_bytes()
    with TreeServer({"t.h5": data, "cut.h5": data[: len(data) // 2], "no.h5": b"\x00" * 600}) as srv:
        dl = downloader(tmp_path)
        assert dl.fetch(f"{srv.url}/t.h5", kind="hdf5").read_bytes() == data
        with pytest.raises(DownloadError, match="no HDF5 signature"):
            dl.fetch(f"{srv.url}/no.h5", kind="hdf5")
        with pytest.raises(DownloadError, match="GDAL cannot open the HDF5 file"):
            dl.fetch(f"{srv.url}/cut.h5", kind="hdf5")


def test_login_page_is_an_authentication_error_without_the_secret(files, tmp_path):
    refreshed = []
    with TreeServer(dict(files), protected="d", tokens=("the-good-one",)) as srv:
        dl = downloader(
            tmp_path,
            headers=lambda: {"Authorization": f"Bearer {TOKEN}"},
            refresh_auth=lambda: refreshed.append(1),
            auth_hint="set EOG_TOKEN",
            secrets=Credentials(eog_token=TOKEN),
        )
        with pytest.raises(AuthenticationError) as caught:
            dl.fetch(f"{srv.url}/d/a.tgz", kind="tar")
        with pytest.raises(AuthenticationError, match="login page"):
            dl.get_text(f"{srv.url}/d/")
    message = str(caught.value)
    assert "d/a.tgz" in message and "HTML page" in message and "set EOG_TOKEN" in message
    assert TOKEN not in message
    assert len(refreshed) == 2, "one renewal per request before giving up"
    assert visible_files(tmp_path) == []


def test_refused_then_renewed_credentials_succeed(files, tmp_path):
    with TreeServer(dict(files), protected="d", tokens=("fresh",)) as srv:
        srv.fail("d/a.tif", "401")
        current = {"token": "stale"}
        dl = downloader(
            tmp_path,
            headers=lambda: {"Authorization": f"Bearer {current['token']}"},
            refresh_auth=lambda: current.update(token="fresh"),
        )
        assert dl.fetch(f"{srv.url}/d/a.tif", kind="raster").read_bytes() == files["d/a.tif"]
    assert [h.status for h in srv.hits if h.path == "/d/a.tif"] == [401, 200]


def test_401_without_renewal_names_the_variables(server, tmp_path):
    server.fail("d/a.tif", "401")
    with pytest.raises(AuthenticationError, match=r"HTTP 401.*set EARTHDATA_TOKEN"):
        downloader(tmp_path, auth_hint="set EARTHDATA_TOKEN").fetch(f"{server.url}/d/a.tif", kind="raster")
    assert len(server.hits) == 1


def test_progress_is_logged_for_large_files(tmp_path):
    big = b"x" * 21_000_000
    lines = []
    with TreeServer({"big.csv": big}) as srv:
        downloader(tmp_path, log=lines.append).fetch(f"{srv.url}/big.csv", kind="text")
    progress = [line for line in lines if "% of 21 MB" in line]
    assert 8 <= len(progress) <= 11 and progress[-1].endswith("100% of 21 MB")


def test_two_threads_download_a_file_once(server, files, tmp_path):
    results = []
    dl = downloader(tmp_path)
    threads = [
        threading.Thread(target=lambda: results.append(dl.fetch(f"{server.url}/d/a.tgz", kind="tar"))) for _ in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1 and len(results) == 3
    assert server.downloads() == ["/d/a.tgz"]


def test_cache_bound_evicts_least_recently_used(server, files, tmp_path):
    limit = len(files["d/b.csv"]) + len(files["d/c.csv"]) + len(files["d/a.csv"]) - 1
    dl = Downloader(CacheSettings(tmp_path / "cache", max_bytes=limit), backoff_s=0.01, log=lambda _: None)
    a = dl.fetch(f"{server.url}/d/a.csv", kind="text")
    time.sleep(0.02)
    b = dl.fetch(f"{server.url}/d/b.csv", kind="text")
    time.sleep(0.02)
    dl.fetch(f"{server.url}/d/a.csv", kind="text")  # a hit makes a recently used
    time.sleep(0.02)
    c = dl.fetch(f"{server.url}/d/c.csv", kind="text")
    assert a.exists() and c.exists() and not b.exists()
    assert evict(CacheSettings(tmp_path / "cache", max_bytes=1), keep=c) == [a]
    assert c.exists(), "the file just fetched is never evicted"


def test_cache_keys_are_safe_and_distinct():
    key = cache_key("https://eogdata.mines.edu/nighttime_light/monthly/v10/2014/201401/vcmcfg/x.tgz")
    assert str(key) == "eogdata.mines.edu/nighttime_light/monthly/v10/2014/201401/vcmcfg/x.tgz"
    assert str(cache_key("http://127.0.0.1:8080/a/x.tif", "npp:c2014")).startswith("127.0.0.1_8080/a/")
    odd = cache_key("http://h/../a b/ü.csv?page=2", '"etag/1"')
    assert ".." not in odd.parts and all(" " not in p and "/" not in p for p in odd.parts)
    assert odd.name.endswith(".csv") and odd.parts[-2].endswith("etag_1_")
    assert cache_key("http://h/a", "x:y") != cache_key("http://h/a", "x_y")
    assert cache_key("http://h/a?x=1") != cache_key("http://h/a?x=2") != cache_key("http://h/a")
    assert cache_key("http://user:pw@h/a/").parts == ("h", "a", "index.html")


def test_kinds_by_name():
    names = ["x.tgz", "x.tar.gz", "x.avg_rade9h.tif.gz", "x.tif", "VNP46A3.A2014001.h30v05.002.h5", "2020-01.csv"]
    assert [kind_for_name(n) for n in names] == ["tar", "tar", "gzip", "raster", "hdf5", "text"]
    with pytest.raises(ValueError, match="unknown download kind"):
        Downloader(None).fetch("http://h/x.zip", kind="zip")


def test_a_renewal_cut_short_by_a_transient_failure_is_done_again():
    events, lines = [], []
    renewals = iter([TransientError("the token server failed"), None])
    answers = iter([Refused("HTTP 401"), "body"])

    def renew():
        events.append("renew")
        if (failure := next(renewals)) is not None:
            raise failure

    def once():
        events.append("once")
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert with_retries(once, shown="u", retries=1, backoff_s=0.0, log=lines.append, clean=str, renew=renew) == "body"
    assert events == ["once", "renew", "renew", "once"]
    assert lines == ["u: HTTP 401; renewing the credentials once", "u: the token server failed; retry 1/1 in 0.00 s"]
