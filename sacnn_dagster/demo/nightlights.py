"""Simulated VIIRS DNB monthly composites (radiance nW/cm²/sr and cloud-free coverage counts).

Radiance = city light that has nothing to do with industry (own growth, no New Year dip) + industrial park
lighting + factory light (rising with output, by default as output^0.6 (see `DemoSpec.light_response`),
blurred by the sensor's point spread)
+ bright outliers (a steel works, the airport, an intermittent gas flare) + sensor noise, which makes dark
pixels negative. Total light is therefore a poor proxy for output, while light at factories tracks it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sacnn_dagster.demo.economy import Factories
from sacnn_dagster.demo.geography import LNG_SCALE, Geography
from sacnn_dagster.demo.spec import DemoSpec, stream, year_month
from sacnn_dagster.geo.grid import Grid, lattice_window

#: Factory light per unit of output^0.6 (before the point spread), and the share of it left on when idle.
FACTORY_LIGHT = 12.0
FACTORY_IDLE = 0.3
OUTPUT_EXPONENT = 0.6
#: Ceiling of a saturating factory's output light (in output^0.6 units): that of a factory making three
#: times the mean factory's output, so about the largest twentieth of factories sit on the flat part.
SATURATION = 3.0**OUTPUT_EXPONENT
#: VIIRS point spread over a 3 x 3 neighbourhood (sums to 1).
PSF = np.array([[0.05, 0.10, 0.05], [0.10, 0.40, 0.10], [0.05, 0.10, 0.05]])
#: Scale of the heavy-tailed (Student t, 5 dof) sensor noise that makes dark pixels negative.
NOISE_SD = 0.4
MIN_RADIANCE = -1.5


def blur3(image: np.ndarray, kernel: np.ndarray = PSF) -> np.ndarray:
    """3 x 3 convolution with zero padding (numpy only)."""
    padded = np.pad(image, 1)
    h, w = image.shape
    return sum(kernel[i, j] * padded[i : i + h, j : j + w] for i in range(3) for j in range(3))


@dataclass
class LightScene:
    """Everything static about the night-light rasters of a demo region."""

    grid: Grid
    aoi: tuple[slice, slice]  # rows, cols of the area of interest's bbox inside `grid`
    core: np.ndarray  # bright centre, slow growth
    sprawl: np.ndarray  # suburbs, towns, roads: faster growth
    parks: np.ndarray  # industrial park lighting (static)
    coverage_pattern: np.ndarray  # smooth 0.6..1.4 field of observation counts
    factory_pixel: np.ndarray  # flat raster index of each factory
    static_outliers: np.ndarray  # additive, > 262 on a few pixels
    flare_pixel: int
    flare_months: np.ndarray  # bool per month
    flare_value: np.ndarray  # per month


def _smooth_field(rng, lng, lat, n_waves: int = 16) -> np.ndarray:
    """A smooth random field in about -1..1 (sum of random plane waves of 5-30 km wavelength)."""
    field = np.zeros(np.broadcast(lng, lat).shape)
    for _ in range(n_waves):
        angle, wavelength, phase = rng.uniform(0, np.pi), rng.uniform(0.05, 0.3), rng.uniform(0, 2 * np.pi)
        field += np.cos(2 * np.pi * (lng * np.cos(angle) + lat * np.sin(angle)) / wavelength + phase)
    return field / np.sqrt(n_waves / 2.0) / 2.0


def _road_light(geo: Geography, lng, lat) -> np.ndarray:
    """Lit highways from the centre to each town (Gaussian profile about one pixel wide)."""
    light = np.zeros(lng.shape)
    c = np.array(geo.centre)
    for town in geo.towns:
        d = town - c
        length2 = float(d @ d)
        tpar = np.clip(((lng - c[0]) * d[0] + (lat - c[1]) * d[1]) / length2, 0.0, 1.0)
        dist = np.hypot((lng - c[0] - tpar * d[0]) * LNG_SCALE, lat - c[1] - tpar * d[1])
        light = np.maximum(light, 6.0 * np.exp(-((dist / 0.004) ** 2)))
    return light


def build_scene(spec: DemoSpec, geo: Geography, factories: Factories, grid: Grid, n_months: int) -> LightScene:
    rng = stream(spec.seed, "light-scene")
    lng1, lat1 = grid.pixel_centres()
    lng, lat = np.meshgrid(lng1, lat1)
    dx, dy = (lng - geo.centre[0]) * LNG_SCALE, lat - geo.centre[1]
    d2 = dx**2 + dy**2
    texture = np.exp(blur3(rng.normal(0.0, 0.35, lng.shape), np.full((3, 3), 1 / 9)) * 1.5)

    # Bright centre (60-150), inner city, suburbs and towns (3-20), lit highways, villages with dark
    # farmland and water between them. The centre grows slowly, everything else fast.
    core = 100.0 * np.exp(-d2 / (0.35 * geo.core_sigma) ** 2) * texture
    sprawl = 25.0 * np.exp(-d2 / geo.core_sigma**2) + 8.0 * np.exp(-d2 / (2.5 * geo.core_sigma) ** 2)
    for tx, ty in geo.towns:
        sprawl += 18.0 * np.exp(-(((lng - tx) * LNG_SCALE) ** 2 + (lat - ty) ** 2) / (0.5 * geo.core_sigma) ** 2)
    villages = 2.5 * np.clip(_smooth_field(rng, lng, lat) + 0.2, 0.0, None)
    sprawl = (sprawl + villages) * texture + _road_light(geo, lng, lat) + 0.05

    # Industrial parks are lit (roads, yards) whether or not the POI list knows their factories; a few
    # logistics hubs are much brighter.
    parks = np.zeros(grid.shape)
    pw, ps, pe, pn = geo.cell_bounds(geo.park_cells[:, 0], geo.park_cells[:, 1])
    row, col = grid.xy_to_rowcol((pw + pe) / 2, (ps + pn) / 2)
    parks[row, col] += rng.uniform(2.0, 6.0, len(row))
    hubs = rng.choice(len(row), size=max(1, len(row) // 25), replace=False)
    parks[row[hubs], col[hubs]] += rng.uniform(60.0, 150.0, len(hubs))
    parks = blur3(parks, np.full((3, 3), 1 / 9) * 1.5)

    frow, fcol = grid.xy_to_rowcol(factories.lng, factories.lat)
    factory_pixel = frow * grid.width + fcol

    # Static outliers above 262: a steel works on the biggest park factory inside the city, the airport.
    outliers = np.zeros(grid.shape)
    candidates = np.flatnonzero(factories.inside & factories.in_park)
    steel = candidates[factories.capacity[candidates].argmax()]
    sr, sc = frow[steel], fcol[steel]
    outliers[sr - 1 : sr + 2, sc - 1 : sc + 2] += 320.0
    outliers[sr, sc] += rng.uniform(1200.0, 1800.0)
    aw, as_, _, _ = geo.cell_bounds(geo.airport[0], geo.airport[1])
    _, _, ae, an = geo.cell_bounds(geo.airport[2] - 1, geo.airport[3] - 1)
    arow, acol = grid.xy_to_rowcol((aw + ae) / 2, (as_ + an) / 2)
    outliers[arow - 1 : arow + 1, acol - 2 : acol + 2] += rng.uniform(300.0, 450.0, (2, 4))

    # A gas flare in a park cell away from the steel works, burning in about a third of the months.
    cw, cs, ce, cn = geo.cell_bounds(geo.park_cells[:, 0], geo.park_cells[:, 1])
    away = np.hypot((cw + ce) / 2 - factories.lng[steel], (cs + cn) / 2 - factories.lat[steel]) > 0.02
    flare = rng.choice(np.flatnonzero(away)) if away.any() else rng.integers(len(away))
    fr, fc = grid.xy_to_rowcol((cw[flare] + ce[flare]) / 2, (cs[flare] + cn[flare]) / 2)
    flare_months = rng.random(n_months) < 0.35
    flare_months[n_months // 2] = True  # at least one month, so every demo has a transient outlier
    aoi_grid = lattice_window(spec.bbox, origin=spec.lattice_origin)
    row0, col0 = aoi_grid.offset_in(grid)
    return LightScene(
        grid=grid,
        aoi=(slice(row0, row0 + aoi_grid.height), slice(col0, col0 + aoi_grid.width)),
        core=core,
        sprawl=sprawl,
        parks=parks,
        coverage_pattern=1.0 + 0.4 * np.clip(_smooth_field(rng, lng, lat), -1, 1),
        factory_pixel=factory_pixel,
        static_outliers=outliers,
        flare_pixel=int(fr * grid.width + fc),
        flare_months=flare_months,
        flare_value=rng.uniform(800.0, 3000.0, n_months),
    )


def light_of(output: np.ndarray, response: str = "power") -> np.ndarray:
    """Light (before FACTORY_LIGHT) of an output: output^0.6 ("power"), output ("linear"), or output^0.6
    flattening off towards SATURATION ("saturating": a glare-limited plant, whose extra shifts add output
    but hardly any light)."""
    if response == "linear":
        return output.astype(np.float64)
    powered = output**OUTPUT_EXPONENT
    if response == "saturating":
        return SATURATION * np.tanh(powered / SATURATION)
    return powered


def factory_light(
    output: np.ndarray,
    capacity: np.ndarray,
    operating: np.ndarray,
    response: str = "power",
    dark: np.ndarray | None = None,
) -> np.ndarray:
    """(factory, month) light emitted: idle lighting of an operating plant plus the light of its output;
    nothing at all from `dark` factories (bool per factory: they work indoors or by day)."""
    idle = FACTORY_IDLE * light_of(capacity[:, None], response) * operating
    light = FACTORY_LIGHT * (idle + light_of(output, response))
    if dark is not None:
        light[dark] = 0.0
    return light


def cloud_patch(rng, shape, aoi: tuple[slice, slice], unseen: float | None = None) -> np.ndarray:
    """A large connected cloud patch covering `unseen` of the area of interest's bbox (default: a random
    30-70 %, so a month is never blind altogether): pixels within a smooth star-shaped contour around a
    random centre inside it (star-shaped sets are connected)."""
    rows, cols = np.mgrid[0 : shape[0], 0 : shape[1]]
    (r0, r1), (c0, c1) = (aoi[0].start, aoi[0].stop), (aoi[1].start, aoi[1].stop)
    cy, cx = r0 + rng.uniform(0.2, 0.8) * (r1 - r0), c0 + rng.uniform(0.2, 0.8) * (c1 - c0)
    theta = np.arctan2(rows - cy, cols - cx)
    radius = np.ones(shape)
    for k in range(1, 5):
        radius += rng.uniform(0.0, 0.12) * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
    rho = np.hypot(rows - cy, cols - cx) / radius
    share = rng.uniform(0.3, 0.7) if unseen is None else unseen  # drawn last: the demo's streams stay
    return rho <= np.quantile(rho[aoi], share)


def render_month(
    spec: DemoSpec,
    scene: LightScene,
    month: str,
    t: int,
    light: np.ndarray,
    cloudy: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Radiance (float32) and cf_cvg (uint16) of month index `t`; `light` is this month's factory light."""
    rng = stream(spec.seed, f"light-{month}")
    grid = scene.grid
    years = t / 12.0
    season = 1.0 + 0.04 * np.cos(2 * np.pi * (year_month(month)[1] - 1) / 12.0)  # longer winter nights
    city = (scene.core * 1.02**years + scene.sprawl * 1.08**years) * season
    lit = np.bincount(scene.factory_pixel, weights=light, minlength=grid.width * grid.height)
    signal = city + scene.parks + blur3(lit.reshape(grid.shape))
    radiance = signal * (1.0 + rng.normal(0.0, 0.05, grid.shape)) + NOISE_SD * rng.standard_t(5, grid.shape)
    radiance = np.maximum(radiance, MIN_RADIANCE) + scene.static_outliers
    if scene.flare_months[t]:
        radiance.flat[scene.flare_pixel] += scene.flare_value[t]

    if cloudy:
        counts = rng.uniform(1.0, 4.0) * scene.coverage_pattern + rng.normal(0.0, 0.7, grid.shape)
        coverage = np.clip(np.round(counts), 1, 6)
        patch = cloud_patch(rng, grid.shape, scene.aoi)
        coverage[patch] = 0
        radiance[patch] = 0.0  # nothing observed: zero is not darkness
    else:
        counts = rng.uniform(7.0, 18.0) * scene.coverage_pattern * (1.0 + rng.normal(0.0, 0.15, grid.shape))
        coverage = np.clip(np.round(counts), 1, 31)
    return radiance.astype(np.float32), coverage.astype(np.uint16)
