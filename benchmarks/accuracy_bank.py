"""The regions of the accuracy bench (benchmarks/accuracy.py): generated cities that differ in what decides
whether an estimate can be trusted, and the real Mumbai night lights with generated factories on top.

How the knobs are set, and why (never from any model's score): a bank city is a real kind of place.
- Factory counts span a county seat (a few hundred POI factories) to a Shanghai-sized city (3000 in the
  demo, 20 000 where the POI export lists small workshops too).
- Growth: China's industrial output grew 5-10 % a year in the 2010s in most cities (the default 2 % a year
  per factory plus new factories); rust-belt cities (north-east China) lost 5-10 % a year after a peak.
- Shocks: the 2020 COVID months (the default) and Shanghai's April-May 2022 lockdown (output about half
  of normal in April, two thirds in May), followed by the June plum rain (a cloudy month right after).
- Cloudiness: the plum-rain plan (every June, half the Julys) is the Yangtze delta's; a cloudier (1.5x)
  southern city; a monsoon city (Mumbai) has whole months unseen.
- Light response: sub-linear (output^0.6, the default) from the literature on industrial light; linear
  for small plants whose yard lighting rises with shifts; saturating for heavy industry whose glare
  saturates the sensor (steel, petrochemicals).
- Dark factories: indoor light industry (textiles, electronics) shows no light of its own; 20-30 % of
  factories in a light-industry city.
- POI churn: Amap exports lag openings and closures by months; 10-15 % of a snapshot wrong is typical
  of a fast-changing city.
- January and February released as one value (China's NBS); one separate-January city, as most other
  statistics offices publish.
- The last year is never published in every region: what a user wants are the months without a figure.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import shapely

from sacnn_dagster.demo import DemoSpec
from sacnn_dagster.demo.economy import Factories, published_statistics, simulate_output
from sacnn_dagster.demo.nightlights import blur3, factory_light
from sacnn_dagster.demo.spec import plan_quirks, stream

#: Shanghai's 2022: April-May lockdown, then the plum rain.
LOCKDOWN_2022 = (("2022-04", 0.5), ("2022-05", 0.67))
#: India's 2020 lockdown (from March 25th), as its index of industrial production stood against a year
#: before: about 0.8 in March, 0.45 in April, 0.65 in May, 0.85 in June.
INDIA_2020 = (("2020-03", 0.8), ("2020-04", 0.45), ("2020-05", 0.65), ("2020-06", 0.85))


@dataclass(frozen=True)
class BankRegion:
    name: str
    spec: DemoSpec | None  # None: the Mumbai region (real lights)
    why: str


def _base(quick: bool, **knobs) -> DemoSpec:
    """A bank city: 2018-2022 (three test years after two of training), the last year never published.
    Quick mode keeps the small demo's extent (0.30 x 0.25 degrees) and 2019-2022 (two test years)."""
    common = dict(start="2019-01" if quick else "2018-01", end="2022-12", unpublished_last_year=True, island=False)
    if quick:
        common.update(bbox=(121.15, 30.975, 121.45, 31.225), n_districts=3, n_parks=4)
    else:
        common.update(bbox=(120.95, 30.80, 121.75, 31.45), n_districts=6, n_parks=20)
    return replace(DemoSpec(), **{**common, **knobs})


def bank(quick: bool) -> list[BankRegion]:
    """The generated regions (each with its own seed, so no two share a layout) and Mumbai."""
    scale = 0.1 if quick else 1.0  # the quick extent is about a tenth of the full one

    def n(count: int) -> int:
        return max(100, int(round(count * scale)))

    regions = [
        BankRegion("delta-city", _base(quick, seed=11, n_factories=n(3000)), "a Yangtze-delta city, defaults"),
        BankRegion(
            "lockdown-2022",
            _base(quick, seed=12, n_factories=n(3000), shocks=LOCKDOWN_2022, extra_cloudy=("2022-06",)),
            "Shanghai 2022: a two-month lockdown, then a cloudy June",
        ),
        BankRegion(
            "county-seat",
            _base(quick, seed=13, n_factories=n(400), growth=0.06, light_response="linear"),
            "few, small, fast-growing plants whose yard light follows their shifts",
        ),
        BankRegion(
            "rust-belt",
            _base(quick, seed=14, n_factories=n(1500), growth=0.0, growth_break="2020-07", late_growth=-0.08),
            "decline after a peak: output falls 8 % a year",
        ),
        BankRegion(
            "heavy-industry",
            _base(quick, seed=15, n_factories=n(2000), light_response="saturating", cloudiness=1.5),
            "glare-saturated steel and chemicals, a cloudier climate",
        ),
        BankRegion(
            "light-industry",
            _base(quick, seed=16, n_factories=n(4000), dark_share=0.3, poi_churn=0.15),
            "indoor light industry (30 % dark plants), a fast-changing POI list",
        ),
        BankRegion(
            "separate-january",
            _base(quick, seed=17, n_factories=n(2500), combined_jan_feb=False, extra_cloudy=("2021-03", "2022-10")),
            "January published alone; cloudy months next to ordinary ones",
        ),
        BankRegion(
            "workshop-city",
            _base(quick, seed=18, n_factories=n(20000), poi_churn=0.1, dark_share=0.2, shocks=LOCKDOWN_2022),
            "twenty thousand small workshops, some dark, a lockdown",
        ),
    ]
    if quick:
        # four regions that between them move every knob; the other four are for the full bank
        regions = [regions[i] for i in (1, 2, 4, 5)]
    return [
        *regions,
        BankRegion("mumbai", None, "real Mumbai night lights (monsoon months unseen), generated factories"),
    ]


# --- Mumbai: the real VIIRS cube with generated factories and economy on top -------------------------------

MUMBAI_MONTHS = ("2018-01", "2022-12")


def build_mumbai(root: Path, quick: bool) -> Path:
    """The real Mumbai radiance (tests/data/mumbai-viirs-monthly) plus the light of generated factories,
    placed where the city is lit (industry sits in the lit city), with a generated economy, statistics and
    truth (monthly totals; district totals by the factory's own district)."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from mumbai_region import build_mumbai_region

    first = "2019-01" if quick else MUMBAI_MONTHS[0]
    months = [f"{y}-{m:02d}" for y in range(int(first[:4]), 2023) for m in range(1, 13)]
    build_mumbai_region(root, set(months))
    spec = DemoSpec(
        name="mumbai",
        seed=21,
        start=months[0],
        end=months[-1],
        bbox=(72.79, 18.85, 72.98, 19.27),
        n_factories=200 if quick else 600,
        unpublished_last_year=True,
        # Mumbai's own calendar: India's 2020 lockdown, no Chinese New Year stop (its real lights have neither
        # China's 2020 dip nor the holiday)
        shocks=INDIA_2020,
        new_year_loss=0.0,
    )
    districts = gpd.read_file(root / "districts.geojson")
    area = shapely.union_all(districts.geometry.values)
    files = sorted((root / "nightlights").rglob("*.avg_rade9h.tif"))
    with rasterio.open(files[0]) as src:
        transform, shape = src.transform, src.shape
    stack = np.stack([rasterio.open(p).read(1) for p in files])
    lit = np.nanmedian(np.where(stack > 0, stack, np.nan), axis=0)
    rows, cols = np.indices(shape)
    x, y = rasterio.transform.xy(transform, rows.ravel(), cols.ravel())
    inside = shapely.contains_xy(area, np.asarray(x), np.asarray(y))
    weight = np.where(inside & np.isfinite(lit.ravel()), np.nan_to_num(lit.ravel()), 0.0)
    rng = stream(spec.seed, "mumbai-factories")
    pixel = rng.choice(weight.size, size=spec.n_factories, p=weight / weight.sum())
    res = transform.a
    lng = np.asarray(x)[pixel] + rng.uniform(-res / 2, res / 2, spec.n_factories)
    lat = np.asarray(y)[pixel] + rng.uniform(-res / 2, res / 2, spec.n_factories)
    n_m = len(months)
    opens = rng.random(spec.n_factories) < 0.15
    factories = Factories(
        lng=lng,
        lat=lat,
        inside=np.ones(spec.n_factories, bool),
        in_park=np.zeros(spec.n_factories, bool),
        capacity=rng.lognormal(0.0, 1.0, spec.n_factories),
        open_index=np.where(opens, rng.integers(1, n_m, spec.n_factories), -1),
        close_index=np.full(spec.n_factories, n_m),
    )
    output = simulate_output(spec, factories, months)
    light = factory_light(output, factories.capacity, factories.active(n_m))
    frow, fcol = rasterio.transform.rowcol(transform, lng, lat)
    flat = np.asarray(frow) * shape[1] + np.asarray(fcol)
    for t, path in enumerate(files):
        extra = blur3(np.bincount(flat, weights=light[:, t], minlength=shape[0] * shape[1]).reshape(shape))
        cvg = Path(str(path).replace("avg_rade9h", "cf_cvg"))
        with rasterio.open(path) as src, rasterio.open(cvg) as cov:
            profile, radiance, seen = src.profile, src.read(1), cov.read(1) > 0
        with rasterio.open(path, "w", **profile) as dst:
            dst.write(np.where(seen, radiance + extra, radiance).astype(np.float32), 1)

    totals = output.sum(axis=0)
    statistics = published_statistics(spec, plan_quirks(spec), months, totals)
    statistics.to_csv(root / "statistics" / "gvio_monthly.csv", index=False)
    (root / "validation").mkdir(exist_ok=True)
    pd.DataFrame({"month": months, "gvio": totals}).to_csv(root / "validation" / "gvio_monthly_true.csv", index=False)
    district = np.full(spec.n_factories, -1)
    for k, geom in enumerate(districts.geometry):
        district[shapely.contains_xy(geom, lng, lat)] = k
    annual = []
    known = district >= 0
    for year in sorted({m[:4] for m in months}):
        in_year = [t for t, m in enumerate(months) if m.startswith(year)]
        values = output[known][:, in_year].sum(axis=1)
        sums = np.bincount(district[known], weights=values, minlength=len(districts))
        annual += [(int(year), name, float(v)) for name, v in zip(districts["name"], sums)]
    annual_csv = root / "validation" / "district_gvio_annual.csv"
    pd.DataFrame(annual, columns=["year", "district", "gvio"]).to_csv(annual_csv, index=False)

    pois = root / "pois"
    shutil.rmtree(pois)
    pois.mkdir()
    lines = ["id,name,type,typecode,address,location,pname,cityname,adname"]
    lines += [
        f'F{i:05d},Works {i},公司企业;工厂;工厂,170300,,"{a:.6f},{b:.6f}",Maharashtra,Mumbai,Mumbai'
        for i, (a, b) in enumerate(zip(lng, lat))
    ]
    (pois / f"{months[0]}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (root / "region.yaml").write_text(
        f"name: mumbai\nstart: '{months[0]}'\nend: '{months[-1]}'\npoi_crs: wgs84\n", encoding="utf-8"
    )
    return root


def mumbai_cloudy_months(root: Path, share: float = 1 / 3) -> list[str]:
    """Months with at least `share` of the area never seen cloud-free (the monsoon)."""
    out = []
    for path in sorted((root / "nightlights").rglob("*.cf_cvg.tif")):
        with rasterio.open(path) as src:
            if (src.read(1) == 0).mean() >= share:
                name = path.name.split("_")[2][:6]
                out.append(f"{name[:4]}-{name[4:]}")
    return out
