"""The demo region generator: layout, encodings and the quirks of real data, on the small spec."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import re
import tarfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
import yaml

from sacnn_dagster.demo import DemoSpec, make_demo_region, plan_quirks
from sacnn_dagster.geo.gcj02 import wgs84_to_gcj02
from sacnn_dagster.geo.grid import EOG_RES, lattice_window

SPEC = DemoSpec.small()
PLAN = plan_quirks(SPEC)
EOG_NAME = re.compile(
    r"^SVDNB_(?P<sat>npp|j01)_(?P<first>\d{8})-(?P<last>\d{8})_(?P<tile>75N060E|global)_vcmcfg_v10_c(?P<stamp>\d{12})"
    r"(?P<ext>\.tgz|\.(?P<layer>avg_rade9h|cf_cvg)\.tif(?P<gz>\.gz)?)$"
)
AMAP_HEADER = ["id", "name", "type", "typecode", "address", "location", "pname", "cityname", "adname"]


@pytest.fixture(scope="module")
def region(tmp_path_factory) -> Path:
    return make_demo_region(tmp_path_factory.mktemp("demo") / "region", SPEC)


@pytest.fixture(autouse=True)
def _no_gdal_sidecars():
    """GDAL writes `<file>.properties` next to a gzip file it reads through /vsigzip/ or /vsitar/; the tests
    must not change the region they inspect."""
    with rasterio.Env(CPL_VSIL_GZIP_WRITE_PROPERTIES="NO"):
        yield


def _tree_hash(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _month_files(region: Path, month: str) -> list[Path]:
    y, m = month.split("-")
    return sorted(p for p in (region / "nightlights" / y / f"{y}{m}").rglob("*") if p.is_file())


def _gdal_paths(path: Path) -> tuple[str, str]:
    """GDAL paths of (radiance, coverage) of the composite version that `path` belongs to."""
    match = EOG_NAME.match(path.name)
    if match["ext"] == ".tgz":
        stem = path.name[: -len(".tgz")]
        return f"/vsitar/{path}/{stem}.avg_rade9h.tif", f"/vsitar/{path}/{stem}.cf_cvg.tif"
    radiance = path.with_name(path.name.replace("cf_cvg", "avg_rade9h"))
    coverage = path.with_name(path.name.replace("avg_rade9h", "cf_cvg"))
    prefix = "/vsigzip/" if match["gz"] else ""
    return prefix + str(radiance), prefix + str(coverage)


def _read_month(region: Path, month: str) -> tuple[np.ndarray, np.ndarray, rasterio.Affine]:
    """Radiance, coverage and transform of the month's usable composite (newest stamp)."""
    newest = max(_month_files(region, month), key=lambda p: EOG_NAME.match(p.name)["stamp"])
    radiance_path, coverage_path = _gdal_paths(newest)
    with rasterio.open(radiance_path) as rad, rasterio.open(coverage_path) as cov:
        return rad.read(1), cov.read(1), rad.transform


def _truth(region: Path) -> pd.DataFrame:
    return pd.read_csv(region / "validation" / "gvio_monthly_true.csv")


def test_same_seed_gives_identical_bytes(region, tmp_path):
    again = make_demo_region(tmp_path / "again", SPEC)
    assert _tree_hash(again) == _tree_hash(region)


def test_region_yaml_and_vector_layers(region):
    cfg = yaml.safe_load((region / "region.yaml").read_text(encoding="utf-8"))
    assert cfg == {
        "name": "demo-city-small",
        "start": SPEC.start,
        "end": SPEC.end,
        "poi_crs": "gcj02",
        "factory_typecodes": ["1703"],
        "buffer_m": 1500,
    }
    boundary = gpd.read_file(region / "boundary.geojson")
    assert boundary.crs.to_epsg() == 4326
    np.testing.assert_allclose(boundary.total_bounds, SPEC.bbox, atol=1e-9)
    districts = gpd.read_file(region / "districts.geojson")
    assert len(districts) == SPEC.n_districts and districts["name"].is_unique
    assert abs(districts.union_all().area - boundary.union_all().area) < 1e-9
    landuse = gpd.read_file(region / "landuse.geojson")
    assert set(landuse["class"]) <= {101, 201, 202, 301, 402, 403, 501, 502, 503, 504, 505}
    assert {101, 301, 403} <= set(landuse["class"])


def test_every_month_has_exactly_one_usable_composite(region):
    for month in SPEC.months:
        files = _month_files(region, month)
        assert files, month
        versions = {}
        for path in files:
            match = EOG_NAME.match(path.name)
            assert match, path.name
            y, m = month.split("-")
            assert match["first"] == f"{y}{m}01" and match["last"][:6] == f"{y}{m}"
            layers = versions.setdefault((match["sat"], match["stamp"]), set())
            layers |= {"avg_rade9h", "cf_cvg"} if match["ext"] == ".tgz" else {match["layer"]}
        assert all(layers == {"avg_rade9h", "cf_cvg"} for layers in versions.values()), month
        assert len(versions) == (2 if month == PLAN.reprocessed_month else 1), month
        assert len({sat for sat, _ in versions}) == 1


def test_processing_stamps_follow_the_month(region):
    stamps = []
    for month in SPEC.months:
        path = _month_files(region, month)[0]
        match = EOG_NAME.match(path.name)
        stamp = pd.Timestamp(match["stamp"][:8])
        month_end = pd.Timestamp(match["last"])
        assert 10 <= (stamp - month_end).days <= 41, path.name
        stamps.append(match["stamp"][6:])
    assert len(set(stamps)) > len(stamps) // 2  # not one fixed day and time


def test_tile_archive_months(region):
    for month in PLAN.tgz_months:
        (archive,) = _month_files(region, month)
        assert archive.name.endswith(".tgz") and "_75N060E_" in archive.name
        raw = archive.read_bytes()
        assert raw[:2] == b"\x1f\x8b" and raw[4:8] == b"\0\0\0\0"  # gzip, mtime 0
        with tarfile.open(archive) as tar:
            members = tar.getmembers()
        stem = archive.name[: -len(".tgz")]
        assert [m.name for m in members] == [f"{stem}.avg_rade9h.tif", f"{stem}.cf_cvg.tif"]
        assert all(m.mtime == 0 and m.uid == 0 and m.gid == 0 for m in members)


def test_global_gzip_months(region):
    for month in PLAN.gz_months:
        files = _month_files(region, month)
        assert [EOG_NAME.match(p.name)["layer"] for p in files] == ["avg_rade9h", "cf_cvg"]
        for path in files:
            assert "_global_" in path.name and path.name.endswith(".tif.gz")
            raw = path.read_bytes()
            assert raw[4:8] == b"\0\0\0\0"
            assert gzip.decompress(raw)[:4] in (b"II*\0", b"MM\0*")


def test_reprocessed_month_newer_stamp_is_brighter(region):
    files = [p for p in _month_files(region, PLAN.reprocessed_month) if "avg_rade9h" in p.name]
    old, new = sorted(files, key=lambda p: EOG_NAME.match(p.name)["stamp"])
    with rasterio.open(old) as a, rasterio.open(new) as b:
        old_values, new_values = a.read(1), b.read(1)
    np.testing.assert_allclose(old_values, 0.9 * new_values, rtol=1e-5, atol=1e-5)
    assert not np.allclose(old_values, new_values)


def test_noaa20_month(region):
    files = _month_files(region, PLAN.noaa20_month)
    y, m = PLAN.noaa20_month.split("-")
    assert {p.parent for p in files} == {region / "nightlights" / y / f"{y}{m}" / "NOAA-20" / "vcmcfg"}
    assert all(p.name.startswith("SVDNB_j01_") for p in files)
    assert all(
        not p.name.startswith("SVDNB_j01_")
        for mo in SPEC.months
        if mo != PLAN.noaa20_month
        for p in _month_files(region, mo)
    )


def test_rasters_sit_on_the_eog_lattice_and_cover_more_than_the_aoi(region):
    expected = lattice_window(SPEC.raster_bounds)
    w, s, e, n = SPEC.bbox
    for month in SPEC.months:
        for path in _month_files(region, month):
            for gdal_path in _gdal_paths(path):
                with rasterio.open(gdal_path) as ds:
                    assert ds.crs.to_epsg() == 4326 and ds.nodata is None
                    assert ds.dtypes[0] == ("float32" if "avg_rade9h" in gdal_path else "uint16")
                    t = ds.transform
                    assert t.b == 0 and t.d == 0 and t.a == pytest.approx(EOG_RES) and t.e == pytest.approx(-EOG_RES)
                    for edge in (t.c, t.f):  # pixel centres on multiples of 1/240 degree
                        centre = (edge + (EOG_RES / 2 if edge == t.c else -EOG_RES / 2)) * 240
                        assert abs(centre - round(centre)) < 1e-6
                    bw, bs, be, bn = ds.bounds
                    assert bw < w and bs < s and be > e and bn > n
                    assert (t.c, t.f, ds.width, ds.height) == pytest.approx(
                        (expected.west, expected.north, expected.width, expected.height)
                    )
    truth_grid = lattice_window(SPEC.bbox)
    with rasterio.open(region / "validation" / "grid" / f"{SPEC.start}.tif") as ds:
        assert ds.transform.almost_equals(truth_grid.transform) and ds.shape == truth_grid.shape
        assert ds.dtypes[0] == "float32" and ds.tags()["units"] == "亿元"


def test_radiance_has_negatives_and_outliers(region):
    above = []
    minimum = np.inf
    for month in SPEC.months:
        radiance, _, _ = _read_month(region, month)
        minimum = min(minimum, radiance.min())
        if month not in PLAN.cloudy_months:  # a cloud patch may hide them
            above.append(int((radiance > 262).sum()))
    assert -1.5 <= minimum < -1.0
    assert min(above) > 0  # static outliers (steel works, airport)
    assert max(above) > min(above)  # and one that comes and goes (gas flare)
    radiance, _, _ = _read_month(region, SPEC.start)
    assert radiance.max() > 1000  # the steel works
    assert radiance[radiance < 262].max() > 60  # the bright city centre


def test_cloudy_months_have_a_large_unobserved_patch(region):
    assert PLAN.cloudy_months
    aoi = lattice_window(SPEC.bbox)
    row0, col0 = aoi.offset_in(lattice_window(SPEC.raster_bounds))
    for month in SPEC.months:
        radiance, coverage, _ = _read_month(region, month)
        unobserved = coverage == 0
        if month in PLAN.cloudy_months:
            assert 0.25 < unobserved[row0 : row0 + aoi.height, col0 : col0 + aoi.width].mean() < 0.75
            assert np.all(radiance[unobserved] == 0)
            assert np.all(coverage[~unobserved] <= 6)
        else:
            assert not unobserved.any()
            assert 3 <= np.median(coverage) <= 25


def _read_snapshot(path: Path) -> tuple[list[str], list[list[str]], str]:
    raw = path.read_bytes()
    try:
        text, encoding = raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = raw.decode("gbk"), "gbk"
    rows = list(csv.reader(io.StringIO(text, newline="")))
    return rows[0], rows[1:], encoding


def test_poi_snapshots_are_messy_amap_exports(region):
    snapshots = sorted((region / "pois").glob("*.csv"))
    assert [p.stem for p in snapshots] == list(PLAN.snapshot_months) and snapshots[0].stem == SPEC.start
    gbk = region / "pois" / f"{PLAN.gbk_snapshot}.csv"
    with pytest.raises(UnicodeDecodeError):
        gbk.read_bytes().decode("utf-8")
    factory_ids = []
    for path in snapshots:
        header, rows, encoding = _read_snapshot(path)
        assert header == AMAP_HEADER
        assert encoding == ("gbk" if path == gbk else "utf-8")
        short = [r for r in rows if len(r) != len(header)]
        rows = [r for r in rows if len(r) == len(header)]
        factories = [r for r in rows if any(code.startswith("1703") for code in r[3].split("|"))]
        assert 0.45 < len(factories) / (len(rows) + len(short)) < 0.75
        assert any("|" in r[3] for r in factories)
        assert all(re.fullmatch(r"B0FF[0-9A-Z]{6}", r[0]) for r in rows)
        ids = [r[0] for r in rows]
        assert len(ids) > len(set(ids))  # duplicate rows
        bad = [r for r in rows if not re.fullmatch(r"\d+\.\d{6},\d+\.\d{6}", r[5])]
        assert short or bad
        assert any(r[7] != "上海市" for r in rows)  # neighbouring cities
        factory_ids.append({r[0] for r in factories})
    assert factory_ids[0] != factory_ids[-1]  # factories open and close between snapshots


def test_poi_locations_are_gcj02(region):
    truth = pd.read_csv(region / "validation" / "factories_true.csv").set_index("id")
    _, rows, _ = _read_snapshot(region / "pois" / f"{SPEC.start}.csv")
    located = {r[0]: r[5] for r in rows if len(r) == 9 and re.fullmatch(r"[\d.]+,[\d.]+", r[5])}
    ids = [i for i in located if i in truth.index]
    assert len(ids) > 100
    lng, lat = np.array([[float(v) for v in located[i].split(",")] for i in ids]).T
    true_lng, true_lat = truth.loc[ids, "lng"].to_numpy(), truth.loc[ids, "lat"].to_numpy()
    assert np.all(np.abs(lng - true_lng - 0.0045) < 0.0008) and np.all(np.abs(lat - true_lat + 0.002) < 0.0008)
    g_lng, g_lat = wgs84_to_gcj02(true_lng, true_lat)
    assert np.abs(lng - g_lng).max() <= 5e-7 and np.abs(lat - g_lat).max() <= 5e-7


def test_published_statistics(region):
    raw = (region / "statistics" / "gvio_monthly.csv").read_bytes().decode("utf-8")
    table = pd.read_csv(io.StringIO(raw), dtype={"month": str})
    assert list(table.columns) == ["month", "gvio", "gvio_ytd"]
    truth = _truth(region).set_index("month")["gvio"]
    combined = table[table.month.str.contains("/")]
    assert len(combined) >= 1
    for _, row in combined.iterrows():
        jan, feb = row.month.split("/")
        assert jan.endswith("-01") and feb.endswith("-02") and jan[:4] == feb[:4]
        assert row.gvio == pytest.approx(truth[jan] + truth[feb], rel=0.05)
        assert row.gvio_ytd == pytest.approx(row.gvio, abs=0.011)
    published = set(table.month.str.split("/").explode())
    missing = [m for m in SPEC.months if m not in published]
    assert missing == list(PLAN.missing_statistics) and len(missing) == 1
    singles = table[~table.month.str.contains("/")].set_index("month")
    ratio = singles.gvio / truth[singles.index]
    assert 0.0 < (ratio - 1).abs().max() < 0.05


def test_truth_grid_adds_up_to_monthly_and_district_totals(region):
    truth = _truth(region)
    assert list(truth.month) == SPEC.months
    annual_grid = {}
    for month, total in zip(truth.month, truth.gvio):
        with rasterio.open(region / "validation" / "grid" / f"{month}.tif") as ds:
            values = ds.read(1)
        assert values.sum(dtype=np.float64) == pytest.approx(total, rel=1e-12)
        annual_grid[month[:4]] = annual_grid.get(month[:4], 0.0) + values.sum(dtype=np.float64)
    assert 80 < truth.gvio.mean() < 250  # proportional to 3000 亿元 for 3000 factories
    feb_2020 = truth.set_index("month").gvio["2020-02"]
    assert feb_2020 < 0.8 * truth.set_index("month").gvio["2019-11"]  # New Year plus the 2020 shock
    districts = pd.read_csv(region / "validation" / "district_gvio_annual.csv")
    assert set(districts.year) == {2020, 2021}  # the calendar years the small spec covers fully
    by_year = districts.groupby("year").gvio.sum()
    assert by_year[2020] == pytest.approx(annual_grid["2020"], rel=1e-9)
    assert (districts.gvio > 0).all()


def test_total_light_is_a_poor_proxy_but_factory_light_tracks_output(region):
    truth = _truth(region)
    truth_grid, raster_grid = lattice_window(SPEC.bbox), lattice_window(SPEC.raster_bounds)
    row0, col0 = truth_grid.offset_in(raster_grid)
    producing = np.zeros(truth_grid.shape, dtype=bool)
    for month in SPEC.months:
        with rasterio.open(region / "validation" / "grid" / f"{month}.tif") as ds:
            producing |= ds.read(1) > 0
    total, at_factories = [], []
    for month in SPEC.months:
        radiance, _, _ = _read_month(region, month)
        total.append(radiance.sum(dtype=np.float64))
        aoi = radiance[row0 : row0 + truth_grid.height, col0 : col0 + truth_grid.width]
        at_factories.append(np.where(aoi > 262, 0.0, aoi)[producing].sum(dtype=np.float64))
    clear = np.array([m not in PLAN.cloudy_months for m in SPEC.months])
    gvio = truth.gvio.to_numpy()
    assert np.corrcoef(total, gvio)[0, 1] < 0.8
    assert np.corrcoef(np.array(total)[clear], gvio[clear])[0, 1] < 0.8
    assert np.corrcoef(np.array(at_factories)[clear], gvio[clear])[0, 1] > 0.5


def test_factories_mostly_in_industrial_parcels(region):
    truth = pd.read_csv(region / "validation" / "factories_true.csv")
    inside = truth[truth.inside == 1]
    assert len(inside) == SPEC.n_factories and (truth.inside == 0).any()
    industrial = gpd.read_file(region / "landuse.geojson").query("`class` == 301").union_all()
    share = shapely.contains_xy(industrial, inside.lng.to_numpy(), inside.lat.to_numpy()).mean()
    assert share > 0.7
