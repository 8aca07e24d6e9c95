"""NASA Black Marble VNP46A3 through a LAADS look-alike on 127.0.0.1 (`tests/servers/laads.py`), with
tiles laid out like the real HDF5 files (`tests/black_marble_files.py`)."""

from __future__ import annotations

import shutil
from collections import Counter

import h5py
import numpy as np
import pytest
import shapely
from affine import Affine
from black_marble_files import Pixel, TileSpec, global_pixel, pattern_raw, physical, write_tile

from sacnn_dagster.config.region import CONFIGS, SATELLITES, NightlightSettings
from sacnn_dagster.io.cache import CacheSettings
from sacnn_dagster.io.credentials import Credentials
from sacnn_dagster.io.download import AuthenticationError, DownloadError
from sacnn_dagster.nightlights.black_marble import BlackMarbleSource
from sacnn_dagster.nightlights.black_marble_tiles import (
    TileSource,
    area_grid,
    month_doy,
    parse_tile_name,
    read_mosaic,
    tiles_covering,
)
from sacnn_dagster.nightlights.open_source import open_nightlight_source
from sacnn_dagster.nightlights.source import MonthNotAvailable
from tests.servers.laads import LaadsServer

TOKEN = "earthdata-secret-0123456789"
STAMP, OLD_STAMP = "2024104121212", "2023001000000"
#: Straddles 120°E, the edge between h29v05 and h30v05; the north-east corner is cut off.
BOX = (119.9, 31.0, 120.1, 31.2)
AOI = shapely.Polygon([(119.9, 31.0), (120.1, 31.0), (120.1, 31.15), (120.05, 31.2), (119.9, 31.2)])
OUTSIDE = (120.095, 31.195)
#: Inside h30v05 only, for the collection 1 file.
BOX1 = (121.4, 31.1, 121.6, 31.3)
FILL_RADIANCE, QUALITY_FILL, GAP_FILLED, POOR, NUM_FILL = (
    (120.051, 31.051),
    (119.951, 31.051),
    (119.951, 31.151),
    (120.051, 31.151),
    (120.081, 31.121),
)
SPECIAL = [
    Pixel(*FILL_RADIANCE, raw=-999.9),
    Pixel(*QUALITY_FILL, quality=255),
    Pixel(*GAP_FILLED, quality=2, num=0),
    Pixel(*POOR, quality=1, num=2),
    Pixel(*NUM_FILL, num=65535),
]
FILL_1 = (121.451, 31.251)


def name(date: str, tile: str, collection: str = "002", stamp: str = STAMP) -> str:
    return f"VNP46A3.A{date}.{tile}.{collection}.{stamp}.h5"


@pytest.fixture(scope="module")
def laads_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("laads")
    c2 = root / "archive/allData/5200/VNP46A3"
    for h in (29, 30):
        write_tile(c2 / "2014/001", TileSpec(h, 5, paint=BOX, pixels=SPECIAL))
        write_tile(c2 / "2014/060", TileSpec(h, 5, doy=60))
        write_tile(c2 / "2015/001", TileSpec(h, 5, year=2015))
    write_tile(c2 / "2014/001", TileSpec(31, 5))  # not needed by the area
    write_tile(c2 / "2014/001", TileSpec(30, 5, stamp=OLD_STAMP))  # superseded by the reprocessed one
    write_tile(c2 / "2014/032", TileSpec(29, 5, doy=32))  # February lacks h30v05
    (c2 / "2014/045").mkdir()  # not a month's first day
    write_tile(
        root / "archive/allData/5000/VNP46A3/2014/001",
        TileSpec(30, 5, collection="001", paint=BOX1, pixels=[Pixel(*FILL_1, raw=65535)]),
    )
    with LaadsServer(root, TOKEN) as server:
        yield server


@pytest.fixture
def laads(laads_server):
    laads_server.reset()
    return laads_server


def source(laads, tmp_path, bounds=BOX, archive_set="5200", token=TOKEN, layer="NearNadir_Composite_Snow_Free"):
    settings = NightlightSettings(source="blackmarble", url=laads.archive_url(archive_set), layer=layer)
    return BlackMarbleSource(
        settings, bounds, Credentials(earthdata_token=token), CacheSettings(tmp_path / "cache"), retries=0
    )


def at(fetched, lon, lat, box=BOX):
    """(radiance, coverage) at lon/lat, located by lattice arithmetic from the area's north-west corner
    `box` gives, not by the code under test."""
    top, left = global_pixel(box[0] + 1e-9, box[3] - 1e-9)
    row, col = global_pixel(lon, lat)
    c = fetched.composite
    return c.radiance[row - top, col - left], c.coverage[row - top, col - left]


def test_listing_gives_the_months_whose_tiles_are_all_there(laads, tmp_path):
    pair = f"{name('2014001', 'h29v05')},{name('2014001', 'h30v05')}"
    assert source(laads, tmp_path).available_months() == {
        "2014-01": pair,
        "2014-03": pair.replace("2014001", "2014060"),
        "2015-01": pair.replace("2014001", "2015001"),
    }
    assert not laads.downloads()  # names only
    assert "/archive/allData/5200/VNP46A3/2014/045.json" not in laads.hits
    inside_h29 = source(laads, tmp_path, bounds=(115.0, 31.0, 115.1, 31.1)).available_months()
    assert inside_h29["2014-02"] == name("2014032", "h29v05")


def test_open_nightlight_source_builds_it(laads, tmp_path):
    settings = NightlightSettings(source="blackmarble", url=laads.archive_url())
    src = open_nightlight_source(
        settings,
        tmp_path,
        SATELLITES,
        CONFIGS,
        BOX,
        Credentials(earthdata_token=TOKEN),
        CacheSettings(tmp_path / "cache"),
    )
    assert isinstance(src, BlackMarbleSource) and src.tiles == ["h29v05", "h30v05"]


def test_two_tiles_mosaic_on_the_black_marble_lattice(laads, tmp_path):
    fetched = source(laads, tmp_path).fetch("2014-01", AOI)

    grid = fetched.composite.grid
    assert grid.shape == (48, 48)
    assert grid.transform.almost_equals(Affine(1 / 240, 0, 119.9, 0, -1 / 240, 31.2), precision=1e-9)
    for lon, lat in [(119.901, 31.001), (119.999, 31.101), (120.001, 31.101), (120.099, 31.001), (119.901, 31.199)]:
        radiance, coverage = at(fetched, lon, lat)
        assert radiance == pattern_raw(*global_pixel(lon, lat)), (lon, lat)
        assert coverage == 5
    assert np.isnan(at(fetched, *OUTSIDE)).all()

    names = [name("2014001", "h29v05"), name("2014001", "h30v05")]
    assert fetched.version == ",".join(names)
    assert fetched.source_files == [f"{laads.archive_url()}/2014/001/{n}" for n in names]
    assert laads.downloads() == Counter(names)  # neither h31v05 nor the superseded h30v05
    assert fetched.details["tiles"] == "h29v05, h30v05"
    assert fetched.details["collection"] == "002"
    assert fetched.details["layer"] == "NearNadir_Composite_Snow_Free"


def test_fill_and_quality_flags(laads, tmp_path):
    fetched = source(laads, tmp_path).fetch("2014-01", AOI)

    assert np.isnan(at(fetched, *FILL_RADIANCE)[0])
    assert np.isnan(at(fetched, *QUALITY_FILL)).all()
    radiance, coverage = at(fetched, *GAP_FILLED)  # kept, but not observed this month
    assert radiance == pattern_raw(*global_pixel(*GAP_FILLED)) and coverage == 0
    radiance, coverage = at(fetched, *POOR)
    assert radiance == pattern_raw(*global_pixel(*POOR)) and coverage == 2
    radiance, coverage = at(fetched, *NUM_FILL)
    assert radiance == pattern_raw(*global_pixel(*NUM_FILL)) and np.isnan(coverage)

    d = fetched.details
    assert (d["quality_gap_filled"], d["quality_poor"], d["quality_fill"]) == ("1", "1", "1")
    inside = int(np.isfinite(fetched.composite.radiance).sum()) + 2  # the two NaN radiance pixels
    assert sum(int(d[f"quality_{k}"]) for k in ("good", "poor", "gap_filled", "fill")) == inside


def test_collection_1_is_scaled_from_its_attributes(laads, tmp_path):
    laads.listing = "list"  # the older bare listing, without download links
    fetched = source(laads, tmp_path, bounds=BOX1, archive_set="5000").fetch("2014-01", shapely.box(*BOX1))

    lon, lat = 121.501, 31.201
    raw = pattern_raw(*global_pixel(lon, lat), collection="001")
    assert at(fetched, lon, lat, BOX1)[0] == physical(raw, "001") == np.float32(int(raw) * 0.1)
    assert np.isnan(at(fetched, *FILL_1, BOX1)[0])
    tile = name("2014001", "h30v05", collection="001")
    assert fetched.source_files == [f"{laads.archive_url('5000')}/2014/001/{tile}"]
    assert fetched.details["collection"] == "001"


@pytest.mark.parametrize(
    "answer",
    [
        None,  # LAADS' login page with status 200
        (401, "text/html", b"<html><body>Unauthorized</body></html>"),
        (200, "text/html", b"<html><body>Please sign in to Earthdata</body></html>"),  # no password field
    ],
)
def test_bad_token_names_the_variable_not_the_token(laads, tmp_path, answer):
    if answer is not None:
        laads.unauthorized = answer
    bad = "wrong-token-9876543210"
    with pytest.raises(AuthenticationError) as err:
        source(laads, tmp_path, token=bad).available_months()
    assert "EARTHDATA_TOKEN" in str(err.value)
    assert bad not in str(err.value) and TOKEN not in str(err.value)


def test_a_small_tile_means_a_refused_token_and_is_not_cached(laads, tmp_path):
    tiny = tmp_path / "tiny.h5"
    with h5py.File(tiny, "w") as f:
        f.create_dataset("denied", data=np.zeros((4, 4), dtype=np.uint8))
    laads.public_listings = True
    laads.unauthorized = (200, "application/x-hdf5", tiny.read_bytes())
    with pytest.raises(AuthenticationError, match="2014-01.*EARTHDATA_TOKEN") as err:
        source(laads, tmp_path, token="wrong-token-9876543210").fetch("2014-01", AOI)
    assert "wrong-token" not in str(err.value)

    laads.unauthorized = (200, "application/octet-stream", b"denied")
    with pytest.raises(DownloadError, match="2014-01"):
        source(laads, tmp_path, token="wrong-token-9876543210").fetch("2014-01", AOI)

    assert source(laads, tmp_path).fetch("2014-01", AOI).composite.radiance.size  # nothing bad was kept


def test_second_fetch_comes_from_the_cache(laads, tmp_path):
    first = source(laads, tmp_path).fetch("2014-01", AOI)
    second = source(laads, tmp_path).fetch("2014-01", AOI)  # a new source: only the cache is shared
    assert laads.downloads() == Counter([name("2014001", "h29v05"), name("2014001", "h30v05")])
    np.testing.assert_array_equal(first.composite.radiance, second.composite.radiance)


def test_missing_months_and_tiles(laads, tmp_path):
    src = source(laads, tmp_path)
    with pytest.raises(MonthNotAvailable, match="2014-02: no VNP46A3 tile h30v05"):
        src.fetch("2014-02", AOI)
    with pytest.raises(MonthNotAvailable, match="2016-05"):
        src.fetch("2016-05", AOI)  # no such folder at all
    assert not laads.downloads()


def test_a_missing_layer_names_month_file_and_layer(laads, tmp_path):
    src = source(laads, tmp_path, layer="OffNadir_Composite_Snow_Free")
    with pytest.raises(ValueError, match=r"2014-01: http://.*h29v05.*OffNadir_Composite_Snow_Free"):
        src.fetch("2014-01", AOI)


def test_a_file_georeferenced_elsewhere_than_its_name_says_is_refused(tmp_path):
    real = write_tile(tmp_path, TileSpec(29, 5))
    renamed = tmp_path / name("2014001", "h30v05")
    shutil.copy(real, renamed)
    tile = TileSource(parse_tile_name(renamed.name), renamed, renamed.name)
    with pytest.raises(ValueError, match="georeferences"):
        read_mosaic([tile], "NearNadir_Composite_Snow_Free", area_grid(BOX))


def test_tiles_names_and_folders():
    assert tiles_covering(area_grid((110.5, 31.0, 120.0, 31.5))) == ["h29v05"]  # edge on the boundary
    assert tiles_covering(area_grid((119.9, 29.9, 120.1, 30.1))) == ["h29v05", "h30v05", "h29v06", "h30v06"]
    assert month_doy("2016-03") == (2016, "061") and month_doy("2014-03") == (2014, "060")
    parsed = parse_tile_name(name("2014032", "h30v05"))
    assert (parsed.month, parsed.tile, parsed.collection) == ("2014-02", "h30v05", "002")
    assert parse_tile_name("VNP46A2.A2014032.h30v05.002.2024104121212.h5") is None


def test_forgetting_listings_keeps_the_complete_months_before_the_settled_month(laads, tmp_path):
    """What a sensor's look between two daily full looks reads again (see versioning/source_scan.py)."""
    src = source(laads, tmp_path)
    months = src.available_months()
    product = "/archive/allData/5200/VNP46A3"
    laads.reset()
    src.forget_listings(settled_before="2015-01")
    assert src.available_months() == months
    # the product and year listings, the month from 2015-01 on, and February (without h30v05 yet): not the
    # complete January and March of 2014
    assert set(laads.hits) == {
        f"{product}.json",
        f"{product}/2014.json",
        f"{product}/2015.json",
        f"{product}/2014/032.json",
        f"{product}/2015/001.json",
    }
    laads.reset()
    src.forget_listings()
    assert src.available_months() == months and f"{product}/2014/001.json" in laads.hits
