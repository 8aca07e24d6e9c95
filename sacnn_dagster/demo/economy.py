"""The truth the pipeline tries to recover: where factories are, when they operate, what they produce each
month (亿元), and the statistics bureau's noisy, incomplete publication of the citywide total."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
import shapely

from sacnn_dagster.demo.geography import CELL_DEG, Geography
from sacnn_dagster.demo.spec import CNY_DATES, DemoSpec, QuirkPlan, month_days, stream, year_month
from sacnn_dagster.geo.grid import Grid

#: Mean monthly output of one factory, 亿元: 3000 factories give a Shanghai-like ~3000 亿元 a month.
MEAN_FACTORY_OUTPUT = 1.0
#: Mild month-of-year pattern on top of the number of days (year-end push in December).
_SEASON = np.array([1.0, 1.0, 1.02, 1.0, 1.0, 1.02, 0.98, 0.97, 1.01, 1.0, 1.02, 1.06])
#: Output is lost from a week before to two weeks after Chinese New Year (DemoSpec.new_year_loss of it,
#: 30 % by default, on those days).
_CNY_WINDOW = (-7, 14)


@dataclass
class Factories:
    """Every simulated factory: those inside the boundary (`inside`) make the city's GVIO; those in the
    neighbouring cities only shine and show up in the POI exports."""

    lng: np.ndarray  # WGS84
    lat: np.ndarray
    inside: np.ndarray  # bool
    in_park: np.ndarray  # bool
    capacity: np.ndarray  # relative size, lognormal
    open_index: np.ndarray  # first active month index (negative: open before the demo starts)
    close_index: np.ndarray  # first month index no longer active (>= number of months: never closes)

    def __len__(self) -> int:
        return len(self.lng)

    def active(self, n_months: int) -> np.ndarray:
        """(factory, month) bool: operating that month."""
        t = np.arange(n_months)[None, :]
        return (self.open_index[:, None] <= t) & (t < self.close_index[:, None])


def _points_with_pixel_inside(geo: Geography, grid: Grid, xy: np.ndarray) -> np.ndarray:
    """Keep points that lie inside the boundary AND whose pixel centre does too, so that summing the truth
    grid by district (pixel centre in polygon) accounts for every factory."""
    row, col = grid.xy_to_rowcol(xy[:, 0], xy[:, 1])
    cx, cy = grid.west + (col + 0.5) * grid.res, grid.north - (row + 0.5) * grid.res
    ok = shapely.contains_xy(geo.boundary, xy[:, 0], xy[:, 1]) & shapely.contains_xy(geo.boundary, cx, cy)
    return xy[ok]


def place_factories(spec: DemoSpec, geo: Geography, truth_grid: Grid, n_months: int) -> Factories:
    """85 % of factories in industrial parks, the rest scattered; plus 5 % as many in the neighbouring
    cities (outside the boundary, inside the night-light extent)."""
    rng = stream(spec.seed, "factories")
    n_park = int(round(0.85 * spec.n_factories))
    n_scattered = spec.n_factories - n_park

    park_xy = np.empty((0, 2))
    while len(park_xy) < n_park:
        cells = geo.park_cells[rng.integers(0, len(geo.park_cells), 2 * n_park)]
        w, s, _, _ = geo.cell_bounds(cells[:, 0], cells[:, 1])
        xy = np.column_stack([w + rng.uniform(0, CELL_DEG, len(cells)), s + rng.uniform(0, CELL_DEG, len(cells))])
        park_xy = np.vstack([park_xy, _points_with_pixel_inside(geo, truth_grid, xy)])
    park_xy = park_xy[:n_park]

    w, s, e, n = spec.bbox
    scattered_xy = np.empty((0, 2))
    while len(scattered_xy) < n_scattered:
        xy = np.column_stack([rng.uniform(w, e, 4 * n_scattered), rng.uniform(s, n, 4 * n_scattered)])
        scattered_xy = np.vstack([scattered_xy, _points_with_pixel_inside(geo, truth_grid, xy)])
    scattered_xy = scattered_xy[:n_scattered]

    n_outside = max(3, int(round(0.05 * spec.n_factories)))
    rw, rs, re, rn = spec.raster_bounds
    outside_xy = np.empty((0, 2))
    while len(outside_xy) < n_outside:
        # keep them a few pixels inside the raster extent so their light is fully in it
        count = 20 * n_outside
        xy = np.column_stack([rng.uniform(rw + 0.02, re - 0.02, count), rng.uniform(rs + 0.02, rn - 0.02, count)])
        outside_xy = np.vstack([outside_xy, xy[~shapely.contains_xy(geo.boundary.buffer(0.01), xy[:, 0], xy[:, 1])]])
    outside_xy = outside_xy[:n_outside]

    xy = np.vstack([park_xy, scattered_xy, outside_xy])
    total = len(xy)
    inside = np.arange(total) < spec.n_factories
    in_park = np.arange(total) < n_park

    # Most factories run through the whole period; some open during it (never before its second month,
    # so that the first POI snapshot lists exactly those already open) and some close.
    open_index = np.full(total, -1, dtype=np.int64)
    opens = rng.random(total) < 0.15
    open_index[opens] = rng.integers(1, n_months, int(opens.sum()))
    close_index = np.full(total, n_months, dtype=np.int64)
    closes = (rng.random(total) < 0.12) & (open_index + 6 < n_months - 1)
    close_index[closes] = rng.integers(np.maximum(open_index[closes] + 6, 1), n_months)
    return Factories(
        lng=xy[:, 0],
        lat=xy[:, 1],
        inside=inside,
        in_park=in_park,
        capacity=rng.lognormal(0.0, 1.0, total),
        open_index=open_index,
        close_index=close_index,
    )


def _cny_loss(month: str, loss: float) -> float:
    """Share of a month's output lost to the Chinese New Year holiday (0 in months it does not touch)."""
    y, m = year_month(month)
    cny = CNY_DATES[y]
    first = date(y, m, 1)
    last = first + timedelta(days=month_days(month))
    lo, hi = cny + timedelta(days=_CNY_WINDOW[0]), cny + timedelta(days=_CNY_WINDOW[1])
    overlap = (min(hi, last) - max(lo, first)).days
    return loss * max(overlap, 0) / month_days(month)


def simulate_output(spec: DemoSpec, factories: Factories, months: list[str]) -> np.ndarray:
    """(factory, month) output in 亿元, 0 when not operating.

    Citywide index (trend, days in month, season, Chinese New Year, 2020 shock) times per-factory capacity,
    growth rate, sensitivity to the holiday and the shock, a ramp-up after opening and AR(1) noise."""
    rng = stream(spec.seed, "output")
    n_f, n_m = len(factories), len(months)
    years = np.arange(n_m) / 12.0
    days = np.array([month_days(m) for m in months]) / 30.44
    season = _SEASON[[year_month(m)[1] - 1 for m in months]]
    cny = np.array([_cny_loss(m, spec.new_year_loss) for m in months])
    shock_index = dict(spec.shocks)
    covid = np.array([shock_index.get(m, 1.0) for m in months])

    sensitivity = rng.uniform(0.5, 1.5, n_f)[:, None]
    growth = np.exp(rng.normal(spec.growth, 0.04, n_f)[:, None] * years[None, :])
    if spec.growth_break is not None:
        # after the break every factory shares the city's new trend (its own growth stops there)
        k = months.index(spec.growth_break)
        growth[:, k:] = growth[:, [k]] * np.exp(spec.late_growth * (years[k:] - years[k]))[None, :]
    shocks = (1.0 - sensitivity * cny[None, :]) * (1.0 - sensitivity * (1.0 - covid[None, :]))
    noise = np.empty((n_f, n_m))
    noise[:, 0] = rng.normal(0.0, 0.10, n_f)
    for t in range(1, n_m):
        noise[:, t] = 0.8 * noise[:, t - 1] + rng.normal(0.0, 0.06, n_f)
    t = np.arange(n_m)[None, :]
    # factories opening during the demo take half a year to reach capacity
    opened = factories.open_index[:, None]
    ramp = np.where(opened < 0, 1.0, np.clip((t - opened + 1) / 6.0, 0.0, 1.0))

    output = (
        factories.capacity[:, None]
        * (days * season)[None, :]
        * growth
        * np.clip(shocks, 0.05, None)
        * np.exp(noise)
        * ramp
        * factories.active(n_m)
    )
    inside_total = output[factories.inside].sum(axis=0)
    return output * (spec.n_factories * MEAN_FACTORY_OUTPUT / inside_total.mean())


def truth_grids(factories: Factories, output: np.ndarray, grid: Grid) -> np.ndarray:
    """(month, row, col) float32 GVIO of the factories inside the boundary, each on its own pixel."""
    inside = factories.inside
    row, col = grid.xy_to_rowcol(factories.lng[inside], factories.lat[inside])
    flat = row * grid.width + col
    n_pixels = grid.width * grid.height
    grids = np.stack([np.bincount(flat, weights=column, minlength=n_pixels) for column in output[inside].T])
    return grids.reshape(output.shape[1], grid.height, grid.width).astype(np.float32)


def published_statistics(spec: DemoSpec, plan: QuirkPlan, months: list[str], truth: np.ndarray) -> pd.DataFrame:
    """The bureau's table: truth x (1 + N(0, 1 %)), 2 decimals; January and February as one row (unless
    the spec says otherwise); a few months with no row; no row at all in the last year when the spec keeps
    it unpublished. Year-to-date includes unpublished months (as real cumulative figures do) and is
    blank in a first year that the demo only partly covers."""
    rng = stream(spec.seed, "statistics")
    published = truth * (1.0 + rng.normal(0.0, 0.01, len(truth)))
    records = []
    last_year = year_month(months[-1])[0] if spec.unpublished_last_year else None
    ytd, ytd_known, year = 0.0, False, None
    for k, month in enumerate(months):
        y, m = year_month(month)
        if y != year:
            year, ytd, ytd_known = y, 0.0, m == 1
        ytd += published[k]
        if y == last_year:
            continue
        if spec.combined_jan_feb and m == 1 and k + 1 < len(months):
            continue  # released with February
        if spec.combined_jan_feb and m == 2 and k > 0 and months[k - 1] == f"{y}-01":
            period, value = f"{y}-01/{y}-02", published[k - 1] + published[k]
        elif month in plan.missing_statistics:
            continue
        else:
            period, value = month, published[k]
        records.append({"month": period, "gvio": f"{value:.2f}", "gvio_ytd": f"{ytd:.2f}" if ytd_known else ""})
    return pd.DataFrame(records, columns=["month", "gvio", "gvio_ytd"])
