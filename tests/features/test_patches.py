"""Vectorized patch extraction against a slow, obviously-correct reference on random rasters."""

import math

import numpy as np
import pytest

from sacnn_dagster.features.patches import FEATURE_COLUMNS, METRES_PER_DEGREE, extract_patches, zone_statistics
from sacnn_dagster.geo.grid import lattice_window
from sacnn_dagster.geo.landuse import LANDUSE_CLASSES, NO_CLASS


def reference_features(ntl, classes, grid, lng, lat, buffer_m):
    """Loop over every pixel of the raster for one factory; nothing shared with the fast code."""
    h, w = ntl.shape
    out = {}
    row = math.floor((grid.north - lat) / grid.res)
    col = math.floor((lng - grid.west) / grid.res)
    factory = ntl[row, col] if 0 <= row < h and 0 <= col < w else float("nan")
    values, lu = [], {c: 0.0 for c in LANDUSE_CLASSES}
    n_buffer = 0
    for r in range(h):
        for c in range(w):
            cx = grid.west + (c + 0.5) * grid.res
            cy = grid.north - (r + 0.5) * grid.res
            dx = (cx - lng) * METRES_PER_DEGREE * math.cos(math.radians(lat))
            dy = (cy - lat) * METRES_PER_DEGREE
            if dx * dx + dy * dy <= buffer_m * buffer_m:
                n_buffer += 1
                v = ntl[r, c]
                if not math.isnan(v):
                    values.append(float(v))
                    if classes[r, c] != NO_CLASS:
                        lu[LANDUSE_CLASSES[classes[r, c]]] += float(v)
    has = bool(values)
    bmax = max(values) if has else float("nan")
    total = sum(lu.values())
    out["ntl_factory"] = factory
    out["ntl_buffer_max"] = bmax
    out["bright_neighbour"] = float(bmax > 2 * factory) if has and not math.isnan(factory) else float("nan")
    out["factory_above_20"] = float(factory > 20) if not math.isnan(factory) else float("nan")
    for code in LANDUSE_CLASSES:
        out[f"lu_{code}_ntl_sum"] = lu[code] if has else float("nan")
    out["lu_ntl_sum"] = total if has else float("nan")
    out["ntl_buffer_sum"] = sum(values) if has else float("nan")
    best = max(LANDUSE_CLASSES, key=lambda code: (lu[code], -LANDUSE_CLASSES.index(code)))
    out["dominant_landuse"] = (best if total > 0 else 0) if has else float("nan")
    out["observed_fraction"] = len(values) / n_buffer if n_buffer else 0.0
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_vectorized_patches_match_reference(seed):
    rng = np.random.default_rng(seed)
    grid = lattice_window((121.30, 31.00, 121.42, 31.09))
    ntl = rng.gamma(1.5, 12.0, grid.shape).astype(np.float32)
    ntl[rng.random(grid.shape) < 0.1] = np.nan  # not observed / outside the area
    classes = rng.integers(-1, len(LANDUSE_CLASSES), grid.shape).astype(np.int16)
    w, s, e, n = grid.bounds
    # random interior points, points right at the edges and corners, and one just outside the grid
    lng = np.concatenate([rng.uniform(w, e, 40), [w + 1e-6, e - 1e-6, w + 1e-6, e - 1e-6, (w + e) / 2, e + 0.003]])
    lat = np.concatenate([rng.uniform(s, n, 40), [n - 1e-6, s + 1e-6, s + 1e-6, n - 1e-6, n - 1e-6, (s + n) / 2]])
    buffer_m = float(rng.choice([500.0, 1000.0, 1500.0]))

    fast = extract_patches(ntl, classes, grid, lng, lat, buffer_m)
    assert fast.windows.shape[0] == lng.size
    for i in range(lng.size):
        ref = reference_features(ntl, classes, grid, lng[i], lat[i], buffer_m)
        for name in FEATURE_COLUMNS:
            np.testing.assert_allclose(
                fast.features[name][i], ref[name], rtol=1e-5, equal_nan=True, err_msg=f"factory {i} feature {name}"
            )
        # the stored window holds exactly the buffer's observed pixels
        np.testing.assert_allclose(
            np.nansum(fast.windows[i]), ref["ntl_buffer_sum"] if not np.isnan(ref["ntl_buffer_sum"]) else 0, rtol=1e-5
        )


def test_bright_neighbour_and_factory_flags():
    grid = lattice_window((121.30, 31.00, 121.36, 31.05))
    ntl = np.ones(grid.shape, dtype=np.float32)
    classes = np.full(grid.shape, LANDUSE_CLASSES.index(301), dtype=np.int16)
    lng_c, lat_c = grid.pixel_centres()
    r, c = 5, 5
    ntl[r, c] = 30.0  # the factory's own pixel
    ntl[r, c + 1] = 100.0  # a brighter neighbour inside 1500 m
    p = extract_patches(ntl, classes, grid, np.array([lng_c[c]]), np.array([lat_c[r]]), 1500.0)
    assert p.features["ntl_factory"][0] == 30.0
    assert p.features["ntl_buffer_max"][0] == 100.0
    assert p.features["bright_neighbour"][0] == 1.0
    assert p.features["factory_above_20"][0] == 1.0
    assert p.features["dominant_landuse"][0] == 301
    assert p.features["lu_301_ntl_sum"][0] == p.features["ntl_buffer_sum"][0]


def test_zone_statistics_split_urban_rural():
    ntl = np.array([[1.0, 2.0], [np.nan, 10.0]], dtype=np.float32)
    urban = np.array([[False, True], [True, True]])
    z = zone_statistics(ntl, urban)
    assert z["urban_ntl_sum"] == 12.0 and z["urban_pixels"] == 2.0
    assert z["rural_ntl_sum"] == 1.0 and z["rural_ntl_mean"] == 1.0
