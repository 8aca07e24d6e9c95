import numpy as np
import pytest
import shapely

from sacnn_dagster.features.pois import extract_factories, list_snapshots, read_snapshot, snapshot_for_month
from sacnn_dagster.geo.gcj02 import wgs84_to_gcj02

HEADER = "id,name,type,typecode,address,location,pname,cityname,adname\n"
AREA = shapely.box(121.0, 31.0, 121.5, 31.5)


def loc(lng, lat):
    g = wgs84_to_gcj02(lng, lat)
    return f'"{float(g[0]):.6f},{float(g[1]):.6f}"'


ROWS = [
    f"B0FF000001,甲机械厂,公司企业;工厂;工厂,170300,一路1号,{loc(121.2, 31.2)},上海市,上海市,甲区",
    f"B0FF000002,乙电子厂,公司企业;工厂;工厂,170300|170200,二路2号,{loc(121.3, 31.3)},上海市,上海市,乙区",
    f"B0FF000001,甲机械厂(重复),公司企业;工厂;工厂,170300,一路1号,{loc(121.2, 31.2)},上海市,上海市,甲区",
    f"B0FF000003,某餐厅,餐饮服务;中餐厅;中餐厅,050100,三路3号,{loc(121.25, 31.25)},上海市,上海市,甲区",
    f"B0FF000004,丙化工厂,公司企业;工厂;工厂,170300,四路4号,{loc(121.8, 31.2)},江苏省,苏州市,外区",
    'B0FF000005,丁厂,公司企业;工厂;工厂,170300,五路5号,"121.5;31.2",上海市,上海市,甲区',
    "B0FF000006,戊厂,公司企业;工厂;工厂,170300,六路6号,,上海市,上海市,甲区",
    "B0FF000007,己厂,公司企业;工厂",
    f"B0FF000008,乙电子厂,公司企业;工厂;工厂,170300,八路8号,{loc(121.3, 31.3)},上海市,上海市,乙区",
]


@pytest.mark.parametrize("encoding", ["utf-8", "gbk", "utf-8-sig"])
def test_factories_from_snapshot_every_row_accounted_for(tmp_path, encoding):
    p = tmp_path / "2020-01.csv"
    p.write_bytes((HEADER + "\n".join(ROWS) + "\n").encode(encoding))
    rows = read_snapshot(p)
    assert rows.encoding == ("gbk" if encoding == "gbk" else "utf-8")
    result = extract_factories(rows, ("1703",), "gcj02", AREA)
    c = result.counts
    assert c == {
        "rows": 9,
        "malformed_rows": 1,
        "not_factory_category": 1,
        "bad_location": 2,
        "duplicate_id": 1,
        "duplicate_name_place": 1,
        "outside_area": 1,
        "factories": 2,
    }
    assert c["rows"] == sum(v for k, v in c.items() if k != "rows")
    f = result.factories
    assert f["id"].tolist() == ["B0FF000001", "B0FF000002"]
    assert f.crs.to_epsg() == 4326
    # back in WGS84 to well under a metre (1e-5 degree ~ 1 m)
    np.testing.assert_allclose(f.geometry.x, [121.2, 121.3], atol=1e-6)
    np.testing.assert_allclose(f.geometry.y, [31.2, 31.3], atol=1e-6)
    assert sorted(result.rejected["line"].tolist()) == [7, 8, 9]
    # the quarantine keeps whole rows, so a rejected factory can be found and fixed
    raw = dict(zip(result.rejected["line"], result.rejected["raw"], strict=True))
    assert raw[7].startswith("B0FF000005,丁厂,") and "121.5;31.2" in raw[7]
    assert raw[8].startswith("B0FF000006,戊厂,")


def test_snapshot_in_force_is_newest_not_after_month(tmp_path):
    for m in ("2014-01", "2016-01", "2018-06"):
        (tmp_path / f"{m}.csv").write_text(HEADER)
    (tmp_path / "notes.txt").write_text("x")
    snaps = list_snapshots([p.name for p in tmp_path.iterdir()])
    assert sorted(snaps) == ["2014-01", "2016-01", "2018-06"]
    assert snapshot_for_month(snaps, "2015-12")[::2] == ("2014-01", False)
    assert snapshot_for_month(snaps, "2016-01")[::2] == ("2016-01", False)
    assert snapshot_for_month(snaps, "2022-12")[::2] == ("2018-06", False)
    # before the first snapshot the earliest stands in, flagged
    assert snapshot_for_month(snaps, "2013-12")[::2] == ("2014-01", True)
    assert snapshot_for_month({}, "2013-12") is None


def test_missing_columns_named(tmp_path):
    p = tmp_path / "2020-01.csv"
    p.write_text('id,name,location\n1,a,"1,2"\n')
    with pytest.raises(ValueError, match="missing column\\(s\\) type, typecode"):
        read_snapshot(p)
