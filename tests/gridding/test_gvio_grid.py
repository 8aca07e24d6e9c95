import numpy as np

from sacnn_dagster.gridding.gvio_grid import bright_threshold, distribute_estimate


def test_grid_sums_to_estimate_and_respects_mask_and_threshold():
    rng = np.random.default_rng(0)
    ntl = rng.gamma(2.0, 10.0, (30, 40))
    ntl[0, :5] = np.nan  # not observed
    industrial = rng.random(ntl.shape) < 0.3
    industrial[0, :5] = True
    inside = np.ones(ntl.shape, bool)
    inside[-3:, :] = False
    threshold = bright_threshold(ntl[industrial])
    g = distribute_estimate(3694.41, ntl, industrial, inside, threshold)
    assert np.isclose(np.nansum(g.gvio), 3694.41, rtol=1e-12)
    assert (g.gvio[~industrial & inside] == 0).all()  # nothing off industrial land
    assert np.isnan(g.gvio[~inside]).all()
    assert (g.gvio[industrial & inside & (ntl > threshold)] == 0).all()  # bright pixels excluded
    assert (g.gvio[0, :5] == 0).all() and g.pixels_not_observed == 5
    used = industrial & inside & np.isfinite(ntl) & (ntl <= threshold)
    ratio = g.gvio[used] / ntl[used]
    assert np.allclose(ratio, ratio[0])  # proportional to light
    assert g.pixels_bright_excluded > 0 and not g.spread_evenly


def test_nothing_observed_spreads_evenly_instead_of_losing_output():
    ntl = np.full((4, 4), np.nan)
    industrial = np.zeros((4, 4), bool)
    industrial[1:3, 1:3] = True
    g = distribute_estimate(100.0, ntl, industrial, np.ones((4, 4), bool), 42.2)
    assert g.spread_evenly and np.isclose(g.gvio.sum(), 100.0) and (g.gvio[industrial] == 25.0).all()


def test_threshold_is_95th_percentile_of_factory_light():
    assert bright_threshold(np.append(np.arange(1.0, 101.0), np.nan)) == np.percentile(np.arange(1.0, 101.0), 95)
