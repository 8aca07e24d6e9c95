"""EOG over HTTPS against an EOG look-alike on loopback that serves the small demo region's composites in
EOG's two published layouts, behind a login wall (tests/servers/eog.py)."""

import dataclasses
from pathlib import PurePosixPath

import geopandas as gpd
import numpy as np
import pytest
import shapely

from sacnn_dagster.config.region import CONFIGS, SATELLITES, NightlightSettings
from sacnn_dagster.demo import DemoSpec
from sacnn_dagster.demo.spec import plan_quirks
from sacnn_dagster.io.cache import CacheSettings
from sacnn_dagster.io.credentials import Credentials
from sacnn_dagster.io.download import AuthenticationError, DownloadError
from sacnn_dagster.io.input_folder import LocalFolder
from sacnn_dagster.nightlights.eog_http import EogHttpSource
from sacnn_dagster.nightlights.eog_names import parse_composite_name
from sacnn_dagster.nightlights.open_source import open_nightlight_source
from sacnn_dagster.nightlights.source import EogNamedSource, MonthNotAvailable
from sacnn_dagster.versioning.source_scan import MonthVersionWatcher
from tests.servers.eog import TOKEN_PATH, TreeServer, eog_tree

TOKEN = "eog-valid-token-9f8e7d"
COOKIE = "cookie-valid-1a2b3c"
PASSWORD = "pw-of-alice-XYZ"
QUIRKS = plan_quirks(DemoSpec.small())
PLAIN_MONTH = "2019-07"


@pytest.fixture(scope="module")
def region(small_demo_region):
    boundary = shapely.union_all(gpd.read_file(small_demo_region / "boundary.geojson").geometry.values)
    local = EogNamedSource(LocalFolder(small_demo_region / "nightlights"), SATELLITES, CONFIGS, boundary.bounds)
    return boundary, local, eog_tree(small_demo_region / "nightlights")


@pytest.fixture
def server(region):
    with TreeServer(
        region[2], protected="nighttime_light", tokens=(TOKEN,), cookie=COOKIE, users={"alice": PASSWORD}
    ) as srv:
        yield srv


def make_source(srv, tmp_path, layout="tiled", credentials=Credentials(eog_token=TOKEN), aoi=None, **kw):
    settings = NightlightSettings(source="eog", url=f"{srv.url}/nighttime_light", layout=layout)
    options = {"retries": 2, "backoff_s": 0.01, "timeout_s": 5.0, "log": lambda _: None, **kw}
    bounds = aoi.bounds if aoi is not None else (120.9, 30.9, 121.5, 31.3)
    satellites, configs = options.pop("satellites", SATELLITES), options.pop("configs", CONFIGS)
    return EogHttpSource(
        settings, satellites, configs, bounds, credentials, CacheSettings(tmp_path / "cache", None), **options
    )


def names(path):
    return parse_composite_name(PurePosixPath(path).name)


def assert_same_composite(a, b):
    np.testing.assert_array_equal(a.composite.radiance, b.composite.radiance)
    np.testing.assert_array_equal(a.composite.coverage, b.composite.coverage)
    assert a.composite.grid == b.composite.grid


@pytest.mark.parametrize("layout", ["tiled", "notile"])
def test_same_months_and_choices_as_the_local_folder(server, region, tmp_path, layout):
    boundary, local, _ = region
    source = make_source(server, tmp_path, layout, aoi=boundary)
    months = source.available_months()
    assert sorted(months) == sorted(local.available_months())
    for month in months:
        ours, theirs = source.choose(month), local.choose(month)
        assert (ours.satellite, ours.config, ours.stamp) == (theirs.satellite, theirs.config, theirs.stamp)
    assert server.downloads() == [], "listing downloads no composite"
    assert not [h for h in server.hits if "NOAA-21" in h.path]


@pytest.mark.parametrize(
    "month", [PLAIN_MONTH, QUIRKS.reprocessed_month, QUIRKS.noaa20_month, QUIRKS.tgz_months[0], QUIRKS.gz_months[0]]
)
def test_fetch_reads_only_the_areas_tile_and_matches_the_local_folder(server, region, tmp_path, month):
    boundary, local, _ = region
    source = make_source(server, tmp_path, aoi=boundary)
    fetched = source.fetch(month, boundary)
    assert_same_composite(fetched, local.fetch(month, boundary))
    choice = local.choose(month)
    satellite = "NOAA-20/" if choice.satellite == "j01" else ""
    tile = dataclasses.replace(choice.tiles[0].name, tile="75N060E")
    expected = f"/nighttime_light/monthly/v10/{month[:4]}/{month.replace('-', '')}/{satellite}vcmcfg/{tile.stem}.tgz"
    assert server.downloads() == [expected]
    assert fetched.source_files == [server.url + expected]
    assert fetched.details["stamp"] == choice.stamp and fetched.details["satellite"] == choice.satellite


def test_a_reprocessed_month_is_read_in_its_newest_version(server, region, tmp_path):
    boundary, _, files = region
    month = QUIRKS.reprocessed_month
    stamps = sorted({names(p).stamp for p in files if f"/{month.replace('-', '')}/vcmcfg/" in p})
    assert len(stamps) == 2
    source = make_source(server, tmp_path, aoi=boundary)
    assert source.available_months()[month].endswith(f"c{stamps[1]}")
    fetched = source.fetch(month, boundary)
    assert f"npp/vcmcfg/75N060E/c{stamps[0]}" in fetched.details["alternatives_not_chosen"]
    assert all(f"c{stamps[1]}" in f for f in fetched.source_files)


def test_notile_downloads_only_radiance_and_coverage(server, region, tmp_path):
    boundary, local, _ = region
    fetched = make_source(server, tmp_path, "notile", aoi=boundary).fetch(PLAIN_MONTH, boundary)
    assert_same_composite(fetched, local.fetch(PLAIN_MONTH, boundary))
    assert sorted(names(p).layer for p in server.downloads()) == ["avg_rade9h", "cf_cvg"]
    assert all("/monthly_notile/v10/2019/201907/vcmcfg/" in p for p in server.downloads())


def test_second_fetch_comes_from_the_cache(server, region, tmp_path):
    boundary = region[0]
    source = make_source(server, tmp_path, aoi=boundary)
    source.fetch(PLAIN_MONTH, boundary)
    before = len(server.hits)
    source.fetch(PLAIN_MONTH, boundary)
    assert len(server.hits) == before, "listings are kept for the object's life, files in the cache"
    server.reset()
    make_source(server, tmp_path, aoi=boundary).fetch(PLAIN_MONTH, boundary)
    assert server.downloads() == [] and server.hits, "a new object lists the month again, downloads nothing"


def test_fetch_lists_only_its_month_and_the_wanted_folders(server, region, tmp_path):
    boundary = region[0]
    source = make_source(server, tmp_path, aoi=boundary, satellites=("npp",), configs=("vcmcfg",))
    source.fetch(PLAIN_MONTH, boundary)
    assert {h.path for h in server.hits if not h.path.endswith(".tgz")} == {
        "/nighttime_light/monthly/v10/2019/201907/",
        "/nighttime_light/monthly/v10/2019/201907/vcmcfg/",
    }
    server.reset()
    assert QUIRKS.noaa20_month not in source.available_months()
    assert not [h for h in server.hits if "vcmslcfg" in h.path or "NOAA-20" in h.path]


def test_a_month_eog_does_not_have(server, region, tmp_path):
    with pytest.raises(MonthNotAvailable, match="2030-01: no night-light composite"):
        make_source(server, tmp_path).fetch("2030-01", region[0])


def test_a_cut_download_is_resumed_inside_a_fetch(server, region, tmp_path):
    boundary, local, files = region
    (path,) = [p for p in files if "/201907/vcmcfg/" in p and "_75N060E_" in p and "/monthly/" in p]
    server.fail(path, "cut", "500")
    fetched = make_source(server, tmp_path, aoi=boundary).fetch(PLAIN_MONTH, boundary)
    assert_same_composite(fetched, local.fetch(PLAIN_MONTH, boundary))
    assert [h.status for h in server.hits if h.path == "/" + path] == [200, 500, 206]


def test_a_broken_archive_is_named_and_not_kept(server, region, tmp_path):
    boundary, _, files = region
    (path,) = [p for p in files if "/201907/vcmcfg/" in p and "_75N060E_" in p and "/monthly/" in p]
    server.fail(path, "truncated_gzip")
    source = make_source(server, tmp_path, aoi=boundary)
    with pytest.raises(DownloadError, match=rf"{path.split('/')[-1]}: the download is not a valid tar file"):
        source.fetch(PLAIN_MONTH, boundary)
    assert not list((tmp_path / "cache" / "http").rglob("*.tgz"))
    source.fetch(PLAIN_MONTH, boundary)


@pytest.mark.parametrize(
    "credentials",
    [Credentials(), Credentials(eog_token="expired-token-5566"), Credentials(eog_session_cookie="stale-cookie-7788")],
    ids=["none", "expired-token", "stale-cookie"],
)
def test_missing_or_expired_credentials_name_the_variables(server, tmp_path, credentials):
    lines = []
    source = make_source(server, tmp_path, credentials=credentials, log=lines.append)
    with pytest.raises(AuthenticationError) as caught:
        source.available_months()
    message = str(caught.value)
    assert "login page" in message
    assert "set EOG_TOKEN, or EOG_SESSION_COOKIE, or EOG_USERNAME and EOG_PASSWORD" in message
    for secret in credentials.secrets():
        assert secret not in message and secret not in repr(caught.value) and secret not in "".join(lines)
    assert not [h for h in server.hits if h.path == TOKEN_PATH]


def test_session_cookie(server, region, tmp_path):
    boundary, local, _ = region
    source = make_source(server, tmp_path, credentials=Credentials(eog_session_cookie=COOKIE), aoi=boundary)
    assert_same_composite(source.fetch(PLAIN_MONTH, boundary), local.fetch(PLAIN_MONTH, boundary))


def test_password_grant_and_renewal_of_an_expired_token(server, region, tmp_path, monkeypatch):
    boundary, local, _ = region
    monkeypatch.setenv("EOG_TOKEN_URL", f"{server.url}{TOKEN_PATH}")
    source = make_source(
        server, tmp_path, credentials=Credentials(eog_username="alice", eog_password=PASSWORD), aoi=boundary
    )
    source.fetch(PLAIN_MONTH, boundary)
    server.tokens.clear()  # a day later: the granted token has expired
    month = QUIRKS.tgz_months[0]
    assert_same_composite(source.fetch(month, boundary), local.fetch(month, boundary))
    assert len([h for h in server.hits if h.path == TOKEN_PATH]) == 2


def test_a_refused_password_names_the_variables_not_the_password(server, tmp_path):
    credentials = Credentials(eog_username="alice", eog_password="wrong-password-123", eog_token="old-token-42")
    source = make_source(server, tmp_path, credentials=credentials, token_url=f"{server.url}{TOKEN_PATH}")
    with pytest.raises(AuthenticationError, match="refused EOG_USERNAME / EOG_PASSWORD") as caught:
        source.available_months()
    assert "wrong-password-123" not in str(caught.value) and "old-token-42" not in str(caught.value)


def test_open_nightlight_source_builds_the_eog_source(server, tmp_path):
    settings = NightlightSettings(source="eog", url=f"{server.url}/nighttime_light", layout="notile")
    source = open_nightlight_source(
        settings,
        tmp_path,
        SATELLITES,
        CONFIGS,
        (121.0, 31.0, 121.2, 31.2),
        Credentials(eog_token=TOKEN),
        CacheSettings(tmp_path / "cache", None),
    )
    assert isinstance(source, EogHttpSource)
    assert source.location == f"{server.url}/nighttime_light/monthly_notile/v10"
    assert PLAIN_MONTH in source.available_months()


def test_a_sensor_rereads_new_and_recent_months_each_look_and_the_whole_archive_once_a_day(region, tmp_path):
    """`MonthVersionWatcher` on EOG's tree, as the night-light sensor uses it (a new source each look, as the
    sensor's resource is): which index pages each look requests, and what it sees."""
    boundary, _, files = region
    files = dict(files)
    late, old = "2020-03", "2019-09"
    late_files = {p: files.pop(p) for p in list(files) if "/2020/202003/" in p}
    clock = [0.0]
    watcher = MonthVersionWatcher(clock=lambda: clock[0])
    with TreeServer(files, tokens=(TOKEN,)) as server:

        def look(hours: float) -> tuple[dict[str, str], list[str]]:
            clock[0] += hours * 3600
            before = len(server.hits)
            versions = watcher.versions(make_source(server, tmp_path, aoi=boundary))
            return versions, [h.path for h in server.hits[before:]]

        expected = make_source(server, tmp_path, aoi=boundary).available_months()
        assert late not in expected and len(expected) == 29
        versions, first = look(0)
        assert versions == expected and len(first) > 60

        # an hour later, nothing new: the root, the year pages and the newest three months' folders only
        versions, second = look(1)
        assert versions == expected
        years = {"/nighttime_light/monthly/v10/", *(f"/nighttime_light/monthly/v10/{y}/" for y in (2019, 2020, 2021))}
        assert years <= set(second) and len(second) <= len(years) + 3 * 3 < len(first) / 5
        assert all(p in years or "/2021/20211" in p for p in second), second

        # a late month shows on its year page and is read at once; an old month's reprocessing waits ...
        server.publish(late_files)
        (old_path,) = [p for p in files if "/2019/201909/vcmcfg/" in p and "75N060E" in p and p.endswith(".tgz")]
        stamp = names(old_path).stamp
        newer = old_path.replace(f"c{stamp}", f"c{int(stamp[:4]) + 3}{stamp[4:]}")
        server.publish({newer: files[old_path]})
        versions, third = look(1)
        assert versions[late] == make_source(server, tmp_path, aoi=boundary).available_months()[late]
        assert any("/2020/202003/" in p for p in third) and not any("/2019/201909/" in p for p in third)
        assert versions[old] == expected[old]

        # ... for the whole archive's daily look
        versions, daily = look(24)
        assert versions[old] != expected[old] and f"c{int(stamp[:4]) + 3}" in versions[old]
        assert len(daily) > 60
