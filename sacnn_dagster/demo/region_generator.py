"""`make_demo_region`: a deterministic synthetic region folder, laid out and encoded exactly like real data.

    REGION/
      region.yaml                 name, start, end, poi_crs: gcj02, factory_typecodes: ["1703"], buffer_m: 1500
      boundary.geojson            area of interest (MultiPolygon when the spec has an island)
      districts.geojson           `name`
      landuse.geojson             `class` (EULUC Level-2 code)
      nightlights/{YYYY}/{YYYYMM}/[NOAA-20/]vcmcfg/SVDNB_...   EOG composites, mixed encodings
      pois/YYYY-MM.csv            Amap exports (one GBK), GCJ-02 locations
      statistics/gvio_monthly.csv month,gvio,gvio_ytd (Jan-Feb combined, a few months missing)
      validation/grid/YYYY-MM.tif true GVIO per pixel (亿元) on lattice_window(bbox)
      validation/gvio_monthly_true.csv, validation/district_gvio_annual.csv
      validation/factories_true.csv   every simulated factory: id, WGS84 location, size, months operating

Which month carries which quirk is `plan_quirks(spec)`.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from pathlib import Path

import geopandas as gpd
import numpy as np

from sacnn_dagster.demo.economy import Factories, place_factories, published_statistics, simulate_output, truth_grids
from sacnn_dagster.demo.geography import Geography, build_geography, build_landuse
from sacnn_dagster.demo.nightlights import build_scene, factory_light, render_month
from sacnn_dagster.demo.poi_exports import build_catalogue, encode_snapshot, snapshot_rows
from sacnn_dagster.demo.spec import DemoSpec, QuirkPlan, month_days, plan_quirks, stream, year_month
from sacnn_dagster.demo.writers import (
    GLOBAL_GZIP,
    PLAIN,
    TILE_ARCHIVE,
    write_composite,
    write_geojson,
    write_truth_grid,
)
from sacnn_dagster.geo.grid import Grid, lattice_window

#: The older of the reprocessed month's two versions is this much dimmer than the right (newer) one.
REPROCESSED_OLD_FACTOR = 0.9


def make_demo_region(out_dir: Path, spec: DemoSpec = DemoSpec()) -> Path:
    """Generate the demo region into `out_dir` (created; must not hold files yet) and return its path.
    The same spec always gives byte-identical files."""
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise FileExistsError(f"{out_dir} is not empty: the demo region is written into a fresh folder")
    out_dir.mkdir(parents=True, exist_ok=True)

    months = spec.months
    plan = plan_quirks(spec)
    geo = build_geography(spec)
    truth_grid = lattice_window(spec.bbox, origin=spec.lattice_origin)
    factories = place_factories(spec, geo, truth_grid, len(months))
    output = simulate_output(spec, factories, months)
    truth = truth_grids(factories, output, truth_grid)
    catalogue = build_catalogue(spec, geo, factories, len(months))

    _write_region_yaml(out_dir, spec)
    scattered = factories.inside & ~factories.in_park
    landuse = build_landuse(spec, geo, np.column_stack([factories.lng[scattered], factories.lat[scattered]]))
    write_geojson(gpd.GeoDataFrame(geometry=[geo.boundary], crs="EPSG:4326"), out_dir / "boundary.geojson")
    write_geojson(geo.districts, out_dir / "districts.geojson")
    write_geojson(landuse, out_dir / "landuse.geojson")
    _write_nightlights(out_dir / "nightlights", spec, plan, geo, factories, output)
    _write_pois(out_dir / "pois", spec, plan, catalogue)
    _write_statistics(out_dir / "statistics" / "gvio_monthly.csv", spec, plan, months, truth)
    _write_validation(out_dir / "validation", months, geo, truth, truth_grid, factories, catalogue.id.to_numpy())
    return out_dir


def _write_region_yaml(out_dir: Path, spec: DemoSpec) -> None:
    text = (
        f"name: {spec.name}\n"
        f'start: "{spec.start}"\n'
        f'end: "{spec.end}"\n'
        "poi_crs: gcj02\n"
        'factory_typecodes: ["1703"]\n'
        "buffer_m: 1500\n"
    )
    (out_dir / "region.yaml").write_text(text, encoding="utf-8")


def dark_factories(spec: DemoSpec, factories: Factories) -> np.ndarray | None:
    """Which factories of the city give no light of their own (None when the spec has none)."""
    if spec.dark_share <= 0:
        return None
    rng = stream(spec.seed, "dark-factories")
    return factories.inside & (rng.random(len(factories)) < spec.dark_share)


def _stamp(month: str, rng, min_days: int, max_days: int) -> str:
    """A processing time stamp YYYYMMDDHHMM some days after the month's end."""
    y, m = year_month(month)
    end = datetime(y, m, month_days(month))
    when = end + timedelta(
        days=int(rng.integers(min_days, max_days + 1)), hours=int(rng.integers(0, 24)), minutes=int(rng.integers(0, 60))
    )
    return when.strftime("%Y%m%d%H%M")


def _write_nightlights(
    folder: Path, spec: DemoSpec, plan: QuirkPlan, geo: Geography, factories: Factories, output: np.ndarray
) -> None:
    months = spec.months
    grid = lattice_window(spec.raster_bounds, origin=spec.lattice_origin)
    scene = build_scene(spec, geo, factories, grid, len(months))
    light = factory_light(
        output, factories.capacity, factories.active(len(months)), spec.light_response, dark_factories(spec, factories)
    )
    rng = stream(spec.seed, "stamps")
    for t, month in enumerate(months):
        stamp = _stamp(month, rng, 10, 40)
        radiance, coverage = render_month(spec, scene, month, t, light[:, t], month in plan.cloudy_months)
        if month == plan.noaa20_month:
            write_composite(folder, month, stamp, radiance, coverage, grid, PLAIN, satellite="j01")
        elif month in plan.tgz_months:
            write_composite(folder, month, stamp, radiance, coverage, grid, TILE_ARCHIVE)
        elif month in plan.gz_months:
            write_composite(folder, month, stamp, radiance, coverage, grid, GLOBAL_GZIP)
        elif month == plan.reprocessed_month:
            # The first processing was dimmer; EOG reprocessed the month months later. Both files remain.
            old = np.where(coverage > 0, radiance * REPROCESSED_OLD_FACTOR, radiance).astype(np.float32)
            write_composite(folder, month, stamp, old, coverage, grid, PLAIN)
            newer = _stamp(month, rng, 90, 400)
            write_composite(folder, month, newer, radiance, coverage, grid, PLAIN)
        else:
            write_composite(folder, month, stamp, radiance, coverage, grid, PLAIN)


def _write_pois(folder: Path, spec: DemoSpec, plan: QuirkPlan, catalogue) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    months = spec.months
    for month in plan.snapshot_months:
        rows = snapshot_rows(spec, catalogue, month, months.index(month))
        encoding = "gbk" if month == plan.gbk_snapshot else "utf-8"
        (folder / f"{month}.csv").write_bytes(encode_snapshot(rows, encoding))


def _csv_bytes(header: list[str], rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _write_statistics(path: Path, spec: DemoSpec, plan: QuirkPlan, months: list[str], truth: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    table = published_statistics(spec, plan, months, truth.sum(axis=(1, 2), dtype=np.float64))
    path.write_bytes(_csv_bytes(list(table.columns), table.itertuples(index=False)))


def _write_validation(
    folder: Path,
    months: list[str],
    geo: Geography,
    truth: np.ndarray,
    grid: Grid,
    factories: Factories,
    poi_ids: np.ndarray,
) -> None:
    """The truth: grids, monthly totals (exactly the grids' sums), annual district totals (pixel centre in
    district) for the calendar years the demo fully covers, and the factory list."""
    for t, month in enumerate(months):
        write_truth_grid(folder / "grid" / f"{month}.tif", truth[t], grid)
    totals = truth.sum(axis=(1, 2), dtype=np.float64)
    (folder / "gvio_monthly_true.csv").write_bytes(
        _csv_bytes(["month", "gvio"], ([m, repr(float(v))] for m, v in zip(months, totals)))
    )

    lng, lat = grid.pixel_centres()
    producing = truth.any(axis=0)
    rows_idx, cols_idx = np.nonzero(producing)
    district = geo.district_of(lng[cols_idx], lat[rows_idx])
    names = list(geo.districts["name"])
    years = sorted({year_month(m)[0] for m in months})
    annual = []
    for year in years:
        in_year = [t for t, m in enumerate(months) if year_month(m)[0] == year]
        if len(in_year) < 12:
            continue  # an annual figure needs the whole year
        values = truth[in_year][:, rows_idx, cols_idx].sum(axis=0, dtype=np.float64)
        sums = np.bincount(district, weights=values, minlength=len(names))
        annual += [[year, name, repr(float(v))] for name, v in zip(names, sums)]
    (folder / "district_gvio_annual.csv").write_bytes(_csv_bytes(["year", "district", "gvio"], annual))

    n_months = len(months)
    first = [months[i] if i >= 0 else "" for i in factories.open_index]
    last = [months[i - 1] if i < n_months else "" for i in factories.close_index]
    (folder / "factories_true.csv").write_bytes(
        _csv_bytes(
            ["id", "lng", "lat", "inside", "in_park", "capacity", "first_month", "last_month"],
            (
                [
                    poi_ids[k],
                    repr(float(factories.lng[k])),
                    repr(float(factories.lat[k])),
                    int(factories.inside[k]),
                    int(factories.in_park[k]),
                    repr(float(factories.capacity[k])),
                    first[k],
                    last[k],
                ]
                for k in range(len(factories))
            ),
        )
    )
