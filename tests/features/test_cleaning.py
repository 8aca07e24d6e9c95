import numpy as np

from sacnn_dagster.features.cleaning import box_mean, clean_ntl


def test_negatives_outliers_and_unobserved():
    radiance = np.full((7, 7), 10.0, dtype=np.float32)
    radiance[0, 0] = -1.2
    radiance[3, 3] = 1000.0  # outlier in the middle: 5x5 mean including itself
    radiance[6, 6] = 0.0  # dark but observed
    radiance[6, 5] = 0.0  # nothing observed
    coverage = np.full((7, 7), 12.0, dtype=np.float32)
    coverage[6, 5] = 0
    out = clean_ntl(radiance, coverage)
    assert out.radiance[0, 0] == 0.0 and out.negatives_zeroed == 1
    assert out.outliers_replaced == 1
    assert np.isclose(out.radiance[3, 3], (24 * 10.0 + 1000.0) / 25)
    assert out.radiance[6, 6] == 0.0
    assert np.isnan(out.radiance[6, 5]) and out.not_observed[6, 5] and out.not_observed.sum() == 1


def test_outlier_mean_ignores_unobserved_and_edges():
    radiance = np.array([[300.0, 4.0, 4.0], [4.0, np.nan, 4.0], [4.0, 4.0, 4.0]], dtype=np.float32)
    out = clean_ntl(radiance, np.full((3, 3), np.nan, dtype=np.float32))  # no cf_cvg: all observed
    # corner pixel: its 5x5 window holds the 3x3 raster; NaN left out; negatives-fixed values averaged
    assert np.isclose(out.radiance[0, 0], (300.0 + 7 * 4.0) / 8)


def test_box_mean_matches_brute_force():
    rng = np.random.default_rng(3)
    a = rng.random((9, 11))
    a[rng.random(a.shape) < 0.2] = np.nan
    fast = box_mean(a, 5)
    for r in range(9):
        for c in range(11):
            win = a[max(r - 2, 0) : r + 3, max(c - 2, 0) : c + 3]
            expected = np.nanmean(win) if np.isfinite(win).any() else np.nan
            np.testing.assert_allclose(fast[r, c], expected, equal_nan=True)
