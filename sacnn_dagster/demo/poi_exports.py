"""Amap POI export snapshots of the demo city, with the mess real exports have: non-factory categories,
multi-code type codes, duplicate rows, malformed rows, POIs of neighbouring cities, GCJ-02 coordinates."""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
import shapely

from sacnn_dagster.demo.economy import Factories
from sacnn_dagster.demo.geography import Geography
from sacnn_dagster.demo.spec import DemoSpec, stream
from sacnn_dagster.geo.gcj02 import wgs84_to_gcj02

AMAP_FIELDS = ("id", "name", "type", "typecode", "address", "location", "pname", "cityname", "adname")
FACTORY_TYPE = ("公司企业;工厂;工厂", "170300")
FACTORY_MULTI_TYPE = ("公司企业;工厂;工厂|公司企业;公司;公司", "170300|170200")
#: Non-factory categories that fill the rest of an export: (type, typecode, name suffixes).
OTHER_TYPES = (
    ("餐饮服务;中餐厅;中餐厅", "050100", ("面馆", "饭店", "小吃店", "酒家")),
    ("购物服务;便民商店;便利店", "060200", ("便利店", "超市", "百货")),
    ("商务住宅;住宅区;住宅小区", "120302", ("花园", "小区", "新村", "公寓")),
    ("公司企业;公司;公司", "170200", ("贸易有限公司", "信息科技有限公司", "咨询有限公司")),
    ("公司企业;知名企业;知名企业", "170100", ("集团有限公司", "控股集团")),
)
_BRAND = tuple("华宏盛鑫达源泰恒丰瑞金永兴富天新嘉隆昌鸿德信诚广荣安佳东方明汇宝立通远升和正万中")
_INDUSTRY = (
    "精密机械",
    "电子科技",
    "化工",
    "纺织",
    "食品",
    "汽车零部件",
    "塑料制品",
    "金属制品",
    "包装材料",
    "印刷",
    "新材料",
    "医疗器械",
    "五金",
    "电器",
    "服装",
    "家具",
    "建材",
    "光电",
)
_FACTORY_SUFFIX = ("厂", "有限公司", "制造有限公司", "实业有限公司")
_DUPLICATE_NAME = ("(东门)", "(二期)", "(北区)", "分厂")
#: Neighbouring cities (province, city, county, name prefix), by quadrant relative to the city centre.
_NEIGHBOURS = {
    (True, False): ("江苏省", "苏州市", "昆山市", "昆山"),
    (True, True): ("江苏省", "苏州市", "太仓市", "太仓"),
    (False, False): ("浙江省", "嘉兴市", "嘉善县", "嘉善"),
    (False, True): ("浙江省", "嘉兴市", "平湖市", "平湖"),
}
CITY = "上海市"
SHARE_OTHER = 0.4
SHARE_DUPLICATE = 0.03
SHARE_MALFORMED = 0.01


def _amap_ids(rng, n: int) -> np.ndarray:
    """Unique Amap-like ids: B0FF + 6 upper-case alphanumerics."""
    alphabet = np.array(list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    ids: list[str] = []
    seen: set[str] = set()
    while len(ids) < n:
        for code in ("B0FF" + "".join(c) for c in alphabet[rng.integers(0, 36, (n, 6))]):
            if code not in seen and len(ids) < n:
                seen.add(code)
                ids.append(code)
    return np.array(ids)


def _brand(rng, n: int) -> list[str]:
    pairs = rng.integers(0, len(_BRAND), (n, 2))
    return [_BRAND[a] + _BRAND[b] for a, b in pairs]


def _admin(geo: Geography, lng: np.ndarray, lat: np.ndarray) -> pd.DataFrame:
    """pname, cityname, adname and a name prefix for points: districts inside, neighbouring cities outside."""
    inside = shapely.contains_xy(geo.boundary, lng, lat)
    district = np.asarray(geo.districts["name"])[geo.district_of(lng, lat)]
    rows = []
    for k in range(len(lng)):
        if inside[k]:
            rows.append((CITY, CITY, district[k], "上海"))
        else:
            rows.append(_NEIGHBOURS[(bool(lat[k] > geo.centre[1]), bool(lng[k] > geo.centre[0]))])
    return pd.DataFrame(rows, columns=["pname", "cityname", "adname", "prefix"])


def _addresses(rng, adname) -> list[str]:
    roads = _brand(rng, len(adname))
    numbers = rng.integers(1, 3000, len(adname))
    return [f"{a}{r}路{n}号" for a, r, n in zip(adname, roads, numbers)]


def build_catalogue(spec: DemoSpec, geo: Geography, factories: Factories, n_months: int) -> pd.DataFrame:
    """Every POI that ever appears, with its stable attributes and the months it exists (factories: while
    operating; other POIs: always, though each snapshot lists only ~90 % of them)."""
    rng = stream(spec.seed, "poi-catalogue")
    n_f = len(factories)
    # Enough other POIs that they make up ~40 % of a snapshot's rows.
    n_other = int(round(n_f * SHARE_OTHER / (1 - SHARE_OTHER) / 0.9))
    w, s, e, n = spec.raster_bounds
    inner = geo.boundary
    other_xy = np.empty((0, 2))
    while len(other_xy) < n_other:
        xy = np.column_stack([rng.uniform(w, e, 4 * n_other), rng.uniform(s, n, 4 * n_other)])
        keep = shapely.contains_xy(inner, xy[:, 0], xy[:, 1])
        keep &= rng.random(len(xy)) < 0.1 + 0.9 * geo.urban_density(xy[:, 0], xy[:, 1])
        # ~5 % of them in the neighbouring cities
        keep |= ~shapely.contains_xy(inner, xy[:, 0], xy[:, 1]) & (rng.random(len(xy)) < 0.015)
        other_xy = np.vstack([other_xy, xy[keep]])
    other_xy = other_xy[:n_other]

    lng = np.concatenate([factories.lng, other_xy[:, 0]])
    lat = np.concatenate([factories.lat, other_xy[:, 1]])
    admin = _admin(geo, lng, lat)
    is_factory = np.arange(len(lng)) < n_f

    kinds = rng.integers(0, len(OTHER_TYPES), n_other)
    multi = rng.random(n_f) < 0.1
    types = [FACTORY_MULTI_TYPE if m else FACTORY_TYPE for m in multi] + [OTHER_TYPES[k][:2] for k in kinds]
    brands = _brand(rng, len(lng))
    industries = rng.choice(_INDUSTRY, n_f)
    suffixes = rng.choice(_FACTORY_SUFFIX, n_f)
    names = [f"{admin.prefix[k]}{brands[k]}{industries[k]}{suffixes[k]}" for k in range(n_f)]
    for j, kind in enumerate(kinds):
        k = n_f + j
        suffix = OTHER_TYPES[kind][2][rng.integers(len(OTHER_TYPES[kind][2]))]
        names.append(f"{admin.prefix[k]}{brands[k]}{suffix}" if kind >= 3 else f"{brands[k]}{suffix}")

    g_lng, g_lat = wgs84_to_gcj02(lng, lat)
    return pd.DataFrame(
        {
            "id": _amap_ids(rng, len(lng)),
            "name": names,
            "type": [t for t, _ in types],
            "typecode": [c for _, c in types],
            "address": _addresses(rng, admin.adname),
            "lng": g_lng,
            "lat": g_lat,
            "pname": admin.pname,
            "cityname": admin.cityname,
            "adname": admin.adname,
            "is_factory": is_factory,
            "open_index": np.concatenate([factories.open_index, np.full(n_other, -1)]),
            "close_index": np.concatenate([factories.close_index, np.full(n_other, n_months)]),
        }
    )


def churned(spec: DemoSpec, catalogue: pd.DataFrame, exists: pd.Series, month: str) -> pd.Series:
    """Which POIs the export lists when it lags the ground: a `poi_churn` share of the operating factories
    left off, and as many factories that are closed (or not open yet) listed anyway, as far as there
    are any."""
    rng = stream(spec.seed, f"poi-churn-{month}")
    factory = catalogue.is_factory.to_numpy()
    present = exists.to_numpy() & factory
    absent = ~exists.to_numpy() & factory
    n = int(round(spec.poi_churn * present.sum()))
    drop = rng.choice(np.flatnonzero(present), size=n, replace=False)
    ghosts = rng.choice(np.flatnonzero(absent), size=min(n, int(absent.sum())), replace=False)
    listed = exists.to_numpy().copy()
    listed[drop] = False
    listed[ghosts] = True
    return pd.Series(listed, index=exists.index)


def snapshot_rows(spec: DemoSpec, catalogue: pd.DataFrame, month: str, t: int) -> list[list[str]]:
    """The rows of the export taken at month index `t`, in a shuffled order, duplicates and malformed
    rows included (a malformed row may cost a real factory its place in that snapshot, as in real data)."""
    rng = stream(spec.seed, f"pois-{month}")
    exists = (catalogue.open_index <= t) & (t < catalogue.close_index)
    if spec.poi_churn > 0 and t > 0:
        exists = churned(spec, catalogue, exists, month)
    listed = catalogue[exists & (catalogue.is_factory | (rng.random(len(catalogue)) < 0.9))]
    location = [f"{x:.6f},{y:.6f}" for x, y in zip(listed.lng, listed.lat)]
    rows = [
        list(r)
        for r in zip(
            listed.id,
            listed.name,
            listed.type,
            listed.typecode,
            listed.address,
            location,
            listed.pname,
            listed.cityname,
            listed.adname,
        )
    ]

    for k in rng.choice(len(rows), size=int(round(SHARE_DUPLICATE * len(rows))), replace=False):
        copy = list(rows[k])
        if rng.random() < 0.5:
            copy[1] += _DUPLICATE_NAME[rng.integers(len(_DUPLICATE_NAME))]
            copy[4] = copy[4].replace("号", f"-{rng.integers(1, 9)}号")
        rows.append(copy)

    for k in rng.choice(len(rows), size=max(4, int(round(SHARE_MALFORMED * len(rows)))), replace=False):
        kind = rng.integers(4)
        if kind == 0:
            rows[k][5] = ""
        elif kind == 1:
            rows[k][5] = rows[k][5].replace(",", ";")
        elif kind == 2:
            rows[k][5] = "abc,def"
        else:
            rows[k] = rows[k][:6]  # a truncated line: too few fields
    return [rows[k] for k in rng.permutation(len(rows))]


def encode_snapshot(rows: list[list[str]], encoding: str) -> bytes:
    """CSV text as exported (CRLF line ends), in UTF-8 or GBK (strict: every name is GBK-encodable)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(AMAP_FIELDS)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)
