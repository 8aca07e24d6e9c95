"""Factory patches: the night light of each factory's buffer zone and the paper's per-factory features,
vectorized over all factories at once (one gather of (N, h, w) windows, no loop over factories).

Per factory (names of the authors' code in brackets):
- `ntl_factory` [MAX]: cleaned NTL at the factory's pixel;
- `ntl_buffer_max` [BufferMAX]: the largest NTL inside the buffer;
- `bright_neighbour` [MAXNTLCheck]: 1 if ntl_buffer_max > 2 x ntl_factory (the brightest light nearby
  is not the factory's own);
- `factory_above_20` [Max>20]: 1 if ntl_factory > 20;
- `lu_{code}_ntl_sum` [LU{code}NTLSUM]: NTL summed over buffer pixels of each land-use class;
- `lu_ntl_sum` [LUsumNTLSUM]: their total; `ntl_buffer_sum`: NTL over the whole buffer;
- `dominant_landuse` [MaxLuNtlCheck]: the class code with the largest NTL sum (0 when none);
- `observed_fraction`: share of buffer pixels with a cloud-free observation.
A pixel belongs to the buffer when its centre is within `buffer_m` of the factory (local equirectangular
distance, exact to centimetres at this scale). Pixels not observed or outside the area are NaN and are
left out of sums and maxima; a feature with no observed pixel at all is NaN.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sacnn_dagster.geo.grid import Grid
from sacnn_dagster.geo.landuse import LANDUSE_CLASSES, NO_CLASS

METRES_PER_DEGREE = math.pi * 6371008.8 / 180.0
LU_SUM_COLUMNS = tuple(f"lu_{code}_ntl_sum" for code in LANDUSE_CLASSES)
FEATURE_COLUMNS = (
    "ntl_factory",
    "ntl_buffer_max",
    "bright_neighbour",
    "factory_above_20",
    *LU_SUM_COLUMNS,
    "lu_ntl_sum",
    "ntl_buffer_sum",
    "dominant_landuse",
    "observed_fraction",
)


@dataclass
class Patches:
    windows: np.ndarray  # float32 (N, h, w): NTL, NaN outside the buffer, unobserved or outside the area
    rows: np.ndarray  # int64 (N,) factory pixel row in the grid
    cols: np.ndarray
    features: dict[str, np.ndarray]  # FEATURE_COLUMNS -> (N,)


def patch_half_size(grid: Grid, buffer_m: float, max_abs_lat: float) -> tuple[int, int]:
    """(half height, half width) in pixels that contain the buffer of any factory up to `max_abs_lat`."""
    ky = math.ceil(buffer_m / (grid.res * METRES_PER_DEGREE)) + 1
    kx = math.ceil(buffer_m / (grid.res * METRES_PER_DEGREE * math.cos(math.radians(max_abs_lat)))) + 1
    return ky, kx


#: Factories gathered at a time: the (block, h, w) temporaries (distances in float64, one-hot land use of
#: (block, h, w, classes)) stay near 100 MB whatever the month's number of factories; at a million factories
#: at once they were several GB. Each factory's features depend on its own window only: the same numbers.
FACTORY_BLOCK = 16_384


def extract_patches(
    ntl: np.ndarray, landuse_index: np.ndarray, grid: Grid, lng: np.ndarray, lat: np.ndarray, buffer_m: float
) -> Patches:
    lng = np.asarray(lng, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    n = lng.size
    ky, kx = patch_half_size(grid, buffer_m, float(np.abs(lat).max()) if n else 0.0)
    if n <= FACTORY_BLOCK:
        return _patch_block(ntl, landuse_index, grid, lng, lat, buffer_m, ky, kx)
    windows = np.empty((n, 2 * ky + 1, 2 * kx + 1), dtype=np.float32)
    rows = np.empty(n, dtype=np.int64)
    cols = np.empty(n, dtype=np.int64)
    features = {name: np.empty(n, dtype=np.float64) for name in FEATURE_COLUMNS}
    for start in range(0, n, FACTORY_BLOCK):
        part = slice(start, min(start + FACTORY_BLOCK, n))
        block = _patch_block(ntl, landuse_index, grid, lng[part], lat[part], buffer_m, ky, kx)
        windows[part], rows[part], cols[part] = block.windows, block.rows, block.cols
        for name in FEATURE_COLUMNS:
            features[name][part] = block.features[name]
    return Patches(windows=windows, rows=rows, cols=cols, features=features)


def _patch_block(
    ntl: np.ndarray,
    landuse_index: np.ndarray,
    grid: Grid,
    lng: np.ndarray,
    lat: np.ndarray,
    buffer_m: float,
    ky: int,
    kx: int,
) -> Patches:
    """`extract_patches` for some of the factories, the patch size (ky, kx) given."""
    rows, cols = grid.xy_to_rowcol(lng, lat)

    dr = np.arange(-ky, ky + 1)
    dc = np.arange(-kx, kx + 1)
    pr = rows[:, None, None] + dr[None, :, None]  # (N, h, 1)
    pc = cols[:, None, None] + dc[None, None, :]  # (N, 1, w)
    inside = (pr >= 0) & (pr < grid.height) & (pc >= 0) & (pc < grid.width)  # (N, h, w)
    pr_c = np.clip(pr, 0, grid.height - 1)
    pc_c = np.clip(pc, 0, grid.width - 1)

    centre_lng = grid.west + (pc + 0.5) * grid.res
    centre_lat = grid.north - (pr + 0.5) * grid.res
    dx = (centre_lng - lng[:, None, None]) * METRES_PER_DEGREE * np.cos(np.radians(lat))[:, None, None]
    dy = (centre_lat - lat[:, None, None]) * METRES_PER_DEGREE
    in_buffer = (dx * dx + dy * dy <= buffer_m * buffer_m) & inside

    windows = np.where(in_buffer, ntl[pr_c, pc_c], np.nan).astype(np.float32)
    classes = np.where(in_buffer, landuse_index[pr_c, pc_c], NO_CLASS)

    factory_inside = (rows >= 0) & (rows < grid.height) & (cols >= 0) & (cols < grid.width)
    ntl_factory = np.where(
        factory_inside, ntl[np.clip(rows, 0, grid.height - 1), np.clip(cols, 0, grid.width - 1)], np.nan
    )
    observed = np.isfinite(windows)
    any_observed = observed.any(axis=(1, 2))
    values = np.where(observed, windows, 0.0).astype(np.float64)
    with np.errstate(invalid="ignore"):
        buffer_max = np.where(any_observed, np.nanmax(np.where(observed, windows, -np.inf), axis=(1, 2)), np.nan)

    one_hot = classes[..., None] == np.arange(len(LANDUSE_CLASSES))  # (N, h, w, C)
    lu_sums = np.einsum("nhw,nhwc->nc", values, one_hot)
    lu_total = lu_sums.sum(axis=1)
    dominant = np.where(lu_total > 0, np.asarray(LANDUSE_CLASSES)[lu_sums.argmax(axis=1)], 0)
    buffer_pixels = in_buffer.sum(axis=(1, 2))

    def nan_if_unobserved(a):
        return np.where(any_observed, a, np.nan)

    features = {
        "ntl_factory": ntl_factory,
        "ntl_buffer_max": buffer_max,
        "bright_neighbour": np.where(np.isfinite(ntl_factory) & any_observed, buffer_max > 2 * ntl_factory, np.nan),
        "factory_above_20": np.where(np.isfinite(ntl_factory), ntl_factory > 20, np.nan),
        **{col: nan_if_unobserved(lu_sums[:, i]) for i, col in enumerate(LU_SUM_COLUMNS)},
        "lu_ntl_sum": nan_if_unobserved(lu_total),
        "ntl_buffer_sum": nan_if_unobserved(values.sum(axis=(1, 2))),
        "dominant_landuse": nan_if_unobserved(dominant),
        "observed_fraction": np.where(buffer_pixels > 0, observed.sum(axis=(1, 2)) / np.maximum(buffer_pixels, 1), 0.0),
    }
    features = {k: np.asarray(v, dtype=np.float64) for k, v in features.items()}
    return Patches(windows=windows, rows=rows, cols=cols, features=features)


def zone_statistics(ntl: np.ndarray, urban: np.ndarray) -> dict[str, float]:
    """The month's urban and rural NTL statistics (the model's context for telling a factory's own light
    from the city's): sum, mean, standard deviation and observed pixel count of each zone."""
    out: dict[str, float] = {}
    observed = np.isfinite(ntl)
    for zone, mask in (("urban", urban & observed), ("rural", ~urban & observed)):
        v = ntl[mask].astype(np.float64)
        out[f"{zone}_ntl_sum"] = float(v.sum())
        out[f"{zone}_ntl_mean"] = float(v.mean()) if v.size else float("nan")
        out[f"{zone}_ntl_std"] = float(v.std()) if v.size else float("nan")
        out[f"{zone}_pixels"] = float(v.size)
    return out
