"""What a cloudy month costs each model, next to a shock and next to ordinary months (issue 11, item 7).

    .venv/bin/python benchmarks/cloudy_months.py [--seeds 1 2 3] [--factories 800] [--models sacnn sum_ridge]

Each generated region (the demo generator's geography, factories, economy and light, seeds differ) runs
2018-01..2022-12 in memory: the pipeline's own cleaning, patch extraction and zone statistics, without the
files. 2022 carries two lockdown-like months (April 0.45, May 0.65 of the normal output, scaled per
factory by its sensitivity) and every year a cloudy June (a connected patch over `--unseen` of the area
never seen cloud-free, right after the shock in 2022) and a cloudy October (next to ordinary months). The
models train on every label up to 2021-12 (Jan-Feb combined, 1 % noise) and predict 2022; each region is
also run with the 2022 clouds removed, so that the cost of the clouds is the difference between the two
runs, month by month. Printed: per model and region, the absolute percentage error of 2022-06 and 2022-10
cloudy and clear, the MAPE of the cloudy 2022 months against the clear ones, then medians over regions.
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from rasterio.features import geometry_mask

from sacnn_dagster.config.months import month_range
from sacnn_dagster.demo.economy import place_factories, simulate_output
from sacnn_dagster.demo.geography import build_geography, build_landuse
from sacnn_dagster.demo.nightlights import build_scene, cloud_patch, factory_light, render_month
from sacnn_dagster.demo.spec import DemoSpec, stream
from sacnn_dagster.features.cleaning import clean_ntl
from sacnn_dagster.features.patch_table import PatchTable
from sacnn_dagster.features.patches import FEATURE_COLUMNS, extract_patches, zone_statistics
from sacnn_dagster.geo.grid import lattice_window
from sacnn_dagster.geo.landuse import NO_CLASS, LandUse, rasterize_landuse
from sacnn_dagster.models.dataset import Labels, MonthlyDataset, build_dataset
from sacnn_dagster.models.registry import make_model

START, END = "2018-01", "2022-12"
TEST_YEAR = "2022"
#: Lockdown-like months: the share of normal output left, before each factory's sensitivity.
SHOCK = {"2022-04": 0.45, "2022-05": 0.65}


@dataclass
class Case:
    data: MonthlyDataset
    truth: np.ndarray  # (M,) true monthly GVIO of the factories inside
    labels: Labels  # every month up to the end of the training years
    cloudy: list[str]


def simulate(seed: int, n_factories: int, cloudy: dict[str, float], shock: dict[str, float]) -> Case:
    spec = replace(DemoSpec(), name=f"cloudy-{seed}", seed=seed, start=START, end=END, n_factories=n_factories)
    months = spec.months
    geo = build_geography(spec)
    aoi_grid = lattice_window(spec.bbox, origin=spec.lattice_origin)
    factories = place_factories(spec, geo, aoi_grid, len(months))
    output = simulate_output(spec, factories, months)
    sens = stream(seed, "bench-shock").uniform(0.5, 1.5, len(factories))
    for month, level in shock.items():
        t = months.index(month)
        output[:, t] *= np.clip(1.0 - sens * (1.0 - level), 0.05, None)
    active = factories.active(len(months))
    light = factory_light(output, factories.capacity, active)
    grid = lattice_window(spec.raster_bounds, origin=spec.lattice_origin)
    scene = build_scene(spec, geo, factories, grid, len(months))
    scattered = factories.inside & ~factories.in_park
    lu = build_landuse(spec, geo, np.column_stack([factories.lng[scattered], factories.lat[scattered]]))
    landuse_index = rasterize_landuse(LandUse(lu[["class", "geometry"]], 0), aoi_grid)
    outside = geometry_mask([geo.boundary], out_shape=aoi_grid.shape, transform=aoi_grid.transform)
    ids = np.array([f"f{k:05d}" for k in range(len(factories))])
    tables = {}
    for t, month in enumerate(months):
        radiance, coverage = render_month(spec, scene, month, t, light[:, t], cloudy=False)
        if month in cloudy:
            patch = cloud_patch(stream(seed, f"bench-cloud-{month}"), grid.shape, scene.aoi, cloudy[month])
            coverage[patch], radiance[patch] = 0, 0.0
        rad = radiance[scene.aoi].astype(np.float32)
        cov = coverage[scene.aoi].astype(np.float32)
        rad[outside], cov[outside] = np.nan, np.nan
        ntl = clean_ntl(rad, cov).radiance
        listed = np.flatnonzero(active[:, t])
        patches = extract_patches(ntl, landuse_index, aoi_grid, factories.lng[listed], factories.lat[listed], 1500.0)
        frame = pd.DataFrame({"id": ids[listed], **{c: patches.features[c] for c in FEATURE_COLUMNS}})
        info = zone_statistics(ntl, landuse_index != NO_CLASS)
        tables[month] = PatchTable(frame, patches.windows, info)
    data = build_dataset(tables)
    truth = output[factories.inside].sum(axis=0)
    return Case(data, truth, training_labels(months, truth, seed), sorted(cloudy))


def training_labels(months: list[str], truth: np.ndarray, seed: int) -> Labels:
    """The bureau's labels up to the end of the training years: 1 % noise, January-February combined."""
    noisy = truth * (1.0 + stream(seed, "bench-labels").normal(0.0, 0.01, len(truth)))
    groups, i = [], 0
    train = [k for k, m in enumerate(months) if m < TEST_YEAR]
    while i < len(train):
        if months[i].endswith("-01"):
            groups.append([i, i + 1])
            i += 2
        else:
            groups.append([i])
            i += 1
    membership = np.zeros((len(groups), len(months)))
    for k, g in enumerate(groups):
        membership[k, g] = 1.0
    return Labels(
        [months[g[0]] for g in groups], membership @ noisy, membership, membership.sum(axis=1).astype(np.int64)
    )


def yearly_clouds(unseen: float, test_clouds: bool) -> dict[str, float]:
    out = {}
    for year in range(int(START[:4]), int(END[:4]) + 1):
        if str(year) == TEST_YEAR and not test_clouds:
            continue
        out[f"{year}-06"] = unseen
        out[f"{year}-10"] = unseen
    return out


def errors(case: Case, model_name: str) -> tuple[np.ndarray, float]:
    """Signed percentage error of every month and the fit's seconds."""
    model = make_model(model_name)
    start = time.perf_counter()
    model.fit(case.data, case.labels)
    seconds = time.perf_counter() - start
    est = model.predict(case.data).estimate
    return 100.0 * (est - case.truth) / case.truth, seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[11, 12, 13])
    ap.add_argument("--factories", type=int, default=800)
    ap.add_argument("--unseen", type=float, default=0.4)
    ap.add_argument("--models", nargs="+", default=["sacnn", "random_forest", "sum_ridge"])
    args = ap.parse_args()
    months = month_range(START, END)
    test = [k for k, m in enumerate(months) if m.startswith(TEST_YEAR)]
    cloudy_test = [k for k in test if months[k] in yearly_clouds(args.unseen, True)]
    clear_test = [k for k in test if k not in cloudy_test]
    rows = []
    for seed in args.seeds:
        start = time.perf_counter()
        cases = {
            "cloudy": simulate(seed, args.factories, yearly_clouds(args.unseen, True), SHOCK),
            "clear": simulate(seed, args.factories, yearly_clouds(args.unseen, False), SHOCK),
        }
        print(f"region seed {seed}: {time.perf_counter() - start:.0f} s to simulate", flush=True)
        for name in args.models:
            err = {k: errors(c, name)[0] for k, c in cases.items()}
            row = {"seed": seed, "model": name}
            for k in cloudy_test:
                row[f"{months[k]} cloudy"] = err["cloudy"][k]
                row[f"{months[k]} clear"] = err["clear"][k]
            row["MAPE cloudy months"] = float(np.mean(np.abs(err["cloudy"][cloudy_test])))
            row["MAPE clear months"] = float(np.mean(np.abs(err["cloudy"][clear_test])))
            row["MAPE 2022 w/o clouds"] = float(np.mean(np.abs(err["clear"][test])))
            rows.append(row)
            print("  " + ", ".join(f"{k} {v:+.1f}" if isinstance(v, float) else f"{v}" for k, v in row.items()))
    table = pd.DataFrame(rows)
    print("\nmedian over regions (signed % error; MAPE in points):")
    print(table.drop(columns="seed").groupby("model", sort=False).median().round(1).to_string())
    print("\nworst over regions (largest absolute):")
    worst = table.drop(columns="seed").groupby("model", sort=False).agg(lambda s: s.iloc[np.abs(s).argmax()])
    print(worst.round(1).to_string())
    gap = table["MAPE cloudy months"] - table["MAPE clear months"]
    for name in args.models:
        mine = gap[table["model"] == name]
        print(f"{name}: MAPE cloudy - clear, median {statistics.median(mine):+.1f}, worst {mine.max():+.1f} points")


if __name__ == "__main__":
    main()
