from pathlib import Path

import pytest

from sacnn_dagster.nightlights.eog_names import choose_composite, group_tiles, parse_composite_name, tile_bounds

SHANGHAI = (120.86, 30.68, 122.2, 31.88)


def test_parse_tiled_untiled_archive_and_noaa20_names():
    a = parse_composite_name("SVDNB_npp_20140101-20140131_75N060E_vcmcfg_v10_c201402101200.avg_rade9h.tif")
    assert (a.satellite, a.month, a.tile, a.config, a.stamp, a.layer, a.gzipped) == (
        "npp",
        "2014-01",
        "75N060E",
        "vcmcfg",
        "201402101200",
        "avg_rade9h",
        False,
    )
    g = parse_composite_name("SVDNB_npp_20170101-20170131_global_vcmslcfg_v10_c201702241223.cf_cvg.tif.gz")
    assert (g.tile, g.config, g.layer, g.gzipped) == ("global", "vcmslcfg", "cf_cvg", True)
    t = parse_composite_name("SVDNB_npp_20150201-20150228_75N060E_vcmcfg_v10_c201503191245.tgz")
    assert t.layer is None and t.month == "2015-02"
    assert t.stem == "SVDNB_npp_20150201-20150228_75N060E_vcmcfg_v10_c201503191245"
    j = parse_composite_name("SVDNB_j01_20220801-20220831_75N060E_vcmcfg_v10_c202209101200.avg_rade9h.masked.tif")
    assert (j.satellite, j.layer) == ("j01", "avg_rade9h.masked")
    assert parse_composite_name("README.txt") is None
    assert (
        parse_composite_name("SVDNB_npp_20140101-20140131_75N060E_vcmcfg_v10_c201402101200.avg_rade9h.tif.aux.xml")
        is None
    )


def test_dates_not_spanning_one_month_are_an_error_naming_the_file():
    name = "SVDNB_npp_20160201-20160230_75N060E_vcmcfg_v10_c201603101200.avg_rade9h.tif"
    with pytest.raises(ValueError, match="SVDNB_npp_20160201-20160230"):
        parse_composite_name(name)
    assert parse_composite_name(name.replace("20160230", "20160229")).month == "2016-02"  # leap year


def test_tile_bounds():
    assert tile_bounds("75N060E") == (60.0, 0.0, 180.0, 75.0)
    assert tile_bounds("00N180W") == (-180.0, -75.0, -60.0, 0.0)


def tiles(*names):
    return group_tiles([(Path("/x") / n, parse_composite_name(n)) for n in names])


def test_newest_stamp_wins_and_alternatives_are_recorded():
    old = "SVDNB_npp_20160501-20160531_75N060E_vcmcfg_v10_c201606101200"
    new = "SVDNB_npp_20160501-20160531_75N060E_vcmcfg_v10_c201811021200"
    ts = tiles(*(f"{s}.{layer}.tif" for s in (old, new) for layer in ("avg_rade9h", "cf_cvg")))
    choice = choose_composite("2016-05", ts, SHANGHAI, ("npp", "j01"), ("vcmcfg", "vcmslcfg"))
    assert choice.stamp == "201811021200"
    assert choice.tiles[0].coverage is not None and "cf_cvg" in choice.tiles[0].coverage.gdal_path
    assert choice.alternatives == ("npp/vcmcfg/75N060E/c201606101200",)
    assert "c201811021200" in choice.version


def test_satellite_then_config_preference_and_noaa20_fallback():
    ts = tiles(
        "SVDNB_j01_20220801-20220831_75N060E_vcmcfg_v10_c202209301200.avg_rade9h.tif",
        "SVDNB_npp_20220701-20220731_75N060E_vcmslcfg_v10_c202208301200.avg_rade9h.tif",
        "SVDNB_npp_20220701-20220731_75N060E_vcmcfg_v10_c202208201200.avg_rade9h.tif",
        "SVDNB_j01_20220701-20220731_75N060E_vcmcfg_v10_c202208251200.avg_rade9h.tif",
    )
    prefs = (("npp", "j01"), ("vcmcfg", "vcmslcfg"))
    assert choose_composite("2022-08", ts, SHANGHAI, *prefs).satellite == "j01"
    july = choose_composite("2022-07", ts, SHANGHAI, *prefs)
    assert (july.satellite, july.config) == ("npp", "vcmcfg")
    assert choose_composite("2022-07", ts, SHANGHAI, ("npp",), ("vcmslcfg", "vcmcfg")).config == "vcmslcfg"
    assert choose_composite("2022-09", ts, SHANGHAI, *prefs) is None


def test_only_tiles_overlapping_the_area_and_archives_read_in_place():
    ts = tiles(
        "SVDNB_npp_20150301-20150331_75N060E_vcmcfg_v10_c201505191245.tgz",
        "SVDNB_npp_20150301-20150331_75N060W_vcmcfg_v10_c201505191245.tgz",
    )
    choice = choose_composite("2015-03", ts, SHANGHAI, ("npp",), ("vcmcfg",))
    assert [t.name.tile for t in choice.tiles] == ["75N060E"]
    assert choice.tiles[0].radiance.gdal_path.startswith("/vsitar//x/SVDNB_npp_20150301-20150331_75N060E")
    assert choice.tiles[0].radiance.gdal_path.endswith(".avg_rade9h.tif")
