"""The inputs of `country_month.py`: a China-sized month, generated once (deterministic seed) and cached.

- One full EOG tile, 75N060E (28800 x 18000 pixels on EOG's 15" lattice, edges half a pixel off the round
  degree), radiance (float32) and cf_cvg (uint16), as tiled (256 x 256), DEFLATE-compressed GeoTIFFs with
  EOG's names. Light inside the country's window (noise, some negatives, city lights, a few saturated
  pixels above 262, cloudy patches with cf_cvg 0), zero elsewhere. The tile is the same for every scale.
- The boundary: an irregular star-shaped polygon around (105 E, 35 N), about 50 million pixels inside at
  scale 1; at scale s the same shape with sides times sqrt(s) (about s x 50 million pixels).
- One POI snapshot (Amap's fields, GCJ-02, UTF-8) of round(s x 1 000 000) factories inside the boundary,
  clustered around towns.
- A pre-clipped copy of the tile's window over the area (both layers), for the read comparison.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import rasterio
import shapely
from rasterio.windows import Window
from shapely.geometry import Polygon

from sacnn_dagster.geo.gcj02 import wgs84_to_gcj02
from sacnn_dagster.geo.grid import EOG_RES, Grid, lattice_window

SEED = 15
MONTH = "2022-06"
STEM = "SVDNB_npp_20220601-20220630_75N060E_vcmcfg_v10_c202207101200"
TILE = Grid(west=60.0 - EOG_RES / 2, north=75.0 + EOG_RES / 2, res=EOG_RES, width=28800, height=18000)
CENTRE = (105.0, 35.0)
#: Semi-axes (degrees of longitude, latitude) of the full-size country: ~50 M pixels inside.
SEMI_AXES = (22.0, 12.6)
FACTORIES_FULL = 1_000_000


def country_polygon(scale: float) -> Polygon:
    k = math.sqrt(scale)
    theta = np.linspace(0.0, 2 * np.pi, 721)[:-1]
    r = 1.0 + 0.06 * np.sin(3 * theta) + 0.04 * np.sin(7 * theta + 1.0) + 0.02 * np.sin(19 * theta + 2.0)
    x = CENTRE[0] + k * SEMI_AXES[0] * r * np.cos(theta)
    y = CENTRE[1] + k * SEMI_AXES[1] * r * np.sin(theta)
    return Polygon(np.column_stack([x, y]))


@dataclass(frozen=True)
class Inputs:
    folder: Path
    scale: float

    @property
    def nightlights(self) -> Path:
        return self.folder / "nightlights" / "2022" / "202206" / "vcmcfg"

    def layer(self, layer: str) -> Path:
        return self.nightlights / f"{STEM}.{layer}.tif"

    @property
    def scaled(self) -> Path:
        return self.folder / f"scale-{self.scale:g}"

    def clipped(self, layer: str) -> Path:
        return self.scaled / "clipped" / f"{STEM}.{layer}.tif"

    @property
    def boundary_file(self) -> Path:
        return self.scaled / "boundary.geojson"

    @property
    def snapshot(self) -> Path:
        return self.scaled / "pois" / "2022-06.csv"

    @property
    def boundary(self):
        return shapely.from_geojson(self.boundary_file.read_text())


def _strip(rng: np.random.Generator, rows: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
    """Radiance and coverage of a strip of the country's window."""
    radiance = rng.gamma(0.6, 0.8, (rows, cols)).astype(np.float32) - np.float32(0.25)  # noise, negatives
    towns = rng.random((rows, cols)) < 0.004
    radiance[towns] += rng.gamma(2.0, 15.0, int(towns.sum())).astype(np.float32)
    flares = rng.random((rows, cols)) < 2e-6
    radiance[flares] = rng.uniform(263.0, 2000.0, int(flares.sum())).astype(np.float32)
    coverage = rng.integers(1, 25, (rows, cols), dtype=np.uint16)
    c0 = int(rng.integers(0, max(cols - 400, 1)))
    coverage[:, c0 : c0 + 400] = np.where(rng.random((rows, min(400, cols - c0))) < 0.7, 0, coverage[:, c0 : c0 + 400])
    return radiance, coverage


def _profile(grid: Grid, dtype: str) -> dict:
    return {
        "driver": "GTiff",
        "width": grid.width,
        "height": grid.height,
        "count": 1,
        "dtype": dtype,
        "crs": "EPSG:4326",
        "transform": grid.transform,
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
        "compress": "deflate",
        "BIGTIFF": "IF_SAFER",
    }


def write_tile(inputs: Inputs, echo=print) -> None:
    """The full tile, by strips of 256 rows: the light inside the full-size country's window."""
    if inputs.layer("cf_cvg").exists():
        return
    inputs.nightlights.mkdir(parents=True, exist_ok=True)
    window = lattice_window(country_polygon(1.0).bounds, origin=(TILE.west, TILE.north), res=TILE.res)
    row0, col0 = window.offset_in(TILE)
    tmp = {layer: inputs.layer(layer).with_suffix(".part") for layer in ("avg_rade9h", "cf_cvg")}
    with (
        rasterio.open(tmp["avg_rade9h"], "w", **_profile(TILE, "float32")) as rad,
        rasterio.open(tmp["cf_cvg"], "w", **_profile(TILE, "uint16")) as cov,
    ):
        for r in range(0, TILE.height, 256):
            h = min(256, TILE.height - r)
            radiance = np.zeros((h, TILE.width), np.float32)
            coverage = np.zeros((h, TILE.width), np.uint16)
            lo, hi = max(r, row0), min(r + h, row0 + window.height)
            if hi > lo:
                rng = np.random.default_rng([SEED, r])
                a, b = _strip(rng, hi - lo, window.width)
                radiance[lo - r : hi - r, col0 : col0 + window.width] = a
                coverage[lo - r : hi - r, col0 : col0 + window.width] = b
            rad.write(radiance, 1, window=Window(0, r, TILE.width, h))
            cov.write(coverage, 1, window=Window(0, r, TILE.width, h))
            if r % (256 * 10) == 0:
                echo(f"  tile rows {r}..{r + h} of {TILE.height}")
    for layer, path in tmp.items():
        path.rename(inputs.layer(layer))


def write_scaled(inputs: Inputs, echo=print) -> None:
    """Boundary, POI snapshot and the pre-clipped window for one scale."""
    done = inputs.scaled / "done.json"
    if done.exists():
        return
    (inputs.scaled / "clipped").mkdir(parents=True, exist_ok=True)
    (inputs.scaled / "pois").mkdir(parents=True, exist_ok=True)
    poly = country_polygon(inputs.scale)
    inputs.boundary_file.write_text(shapely.to_geojson(poly))

    window = lattice_window(poly.bounds, origin=(TILE.west, TILE.north), res=TILE.res)
    row0, col0 = window.offset_in(TILE)
    for layer in ("avg_rade9h", "cf_cvg"):
        with rasterio.open(inputs.layer(layer)) as src:
            profile = _profile(window, src.dtypes[0])
            with rasterio.open(inputs.clipped(layer), "w", **profile) as dst:
                for r in range(0, window.height, 1024):
                    h = min(1024, window.height - r)
                    data = src.read(1, window=Window(col0, row0 + r, window.width, h))
                    dst.write(data, 1, window=Window(0, r, window.width, h))

    echo("  POI snapshot")
    rng = np.random.default_rng([SEED, 1])
    n = round(FACTORIES_FULL * inputs.scale)
    w, s, e, nn = poly.bounds
    towns_x, towns_y = [], []
    while len(towns_x) < max(20, n // 500):
        x, y = rng.uniform(w, e, 4096), rng.uniform(s, nn, 4096)
        keep = shapely.contains_xy(poly, x, y)
        towns_x.extend(x[keep])
        towns_y.extend(y[keep])
    towns = np.column_stack([towns_x, towns_y])[: max(20, n // 500)]
    lng, lat = np.empty(0), np.empty(0)
    while lng.size < n:
        pick = rng.integers(0, len(towns), n)
        x = towns[pick, 0] + rng.normal(0, 0.08, n)
        y = towns[pick, 1] + rng.normal(0, 0.06, n)
        keep = shapely.contains_xy(poly.buffer(-0.01), x, y)
        lng, lat = np.concatenate([lng, x[keep]]), np.concatenate([lat, y[keep]])
    lng, lat = lng[:n], lat[:n]
    g_lng, g_lat = wgs84_to_gcj02(lng, lat)
    ids = np.char.add("B0FF", np.char.zfill(np.arange(n).astype(str), 8))
    pd.DataFrame(
        {
            "id": ids,
            "name": np.char.add("工厂", np.arange(n).astype(str)),
            "type": "公司企业;工厂;工厂",
            "typecode": "170300",
            "address": "工业路",
            "location": [f"{x:.6f},{y:.6f}" for x, y in zip(g_lng, g_lat, strict=True)],
            "pname": "省",
            "cityname": "市",
            "adname": "区",
        }
    ).to_csv(inputs.snapshot, index=False)
    done.write_text(json.dumps({"scale": inputs.scale, "factories": n, "window": list(window.shape)}))


def prepare(folder: Path, scale: float, echo=print) -> Inputs:
    inputs = Inputs(folder, scale)
    echo(f"inputs in {folder} (generated once, then cached)")
    write_tile(inputs, echo)
    write_scaled(inputs, echo)
    return inputs
