"""Cloudy months next to a shock (issue 11, item 7): what clouds hid is filled with the month's own
movement, never carried over from the shock months around it."""

from __future__ import annotations

import numpy as np

from sacnn_dagster.features.patches import FEATURE_COLUMNS
from sacnn_dagster.models.dataset import SCALAR_COLUMNS
from sacnn_dagster.models.gapfill import fill_scalars, fill_tables

MONTHS, FACTORIES = 30, 25
SHOCK = {20: 0.5, 21: 0.7}  # two lockdown-like months
CLOUDY = 22  # right after them


def factory_light(seed: int = 0) -> np.ndarray:
    """(M, R): each factory's light, a common monthly index (a shock in months 20-21) times its size."""
    rng = np.random.default_rng(seed)
    index = 1.0 + rng.normal(0.0, 0.05, MONTHS)
    for month, level in SHOCK.items():
        index[month] = level
    size = rng.uniform(5.0, 40.0, FACTORIES)
    return index[:, None] * size[None, :] * (1.0 + rng.normal(0.0, 0.01, (MONTHS, FACTORIES)))


def tables_from(light: np.ndarray) -> np.ndarray:
    tables = np.zeros((MONTHS, FACTORIES, len(FEATURE_COLUMNS)), np.float32)
    for name, factor in (("ntl_factory", 1.0), ("ntl_buffer_max", 1.2), ("lu_ntl_sum", 3.0), ("ntl_buffer_sum", 4.0)):
        tables[:, :, FEATURE_COLUMNS.index(name)] = factor * light
    tables[:, :, FEATURE_COLUMNS.index("observed_fraction")] = 1.0
    return tables


def scalars_from(light: np.ndarray, seed: int = 1) -> np.ndarray:
    """Zone statistics: a city light growing smoothly, plus the factories' light (a small share of it)."""
    rng = np.random.default_rng(seed)
    t = np.arange(MONTHS)
    s = np.zeros((MONTHS, len(SCALAR_COLUMNS)))
    for zone, city, share in (("urban", 2e4, 2.0), ("rural", 8e3, 0.5)):
        total = city * (1.0 + 0.003 * t) * (1.0 + rng.normal(0.0, 2e-4, MONTHS)) + share * light.sum(axis=1)
        pixels = 1000.0 if zone == "urban" else 3000.0
        s[:, SCALAR_COLUMNS.index(f"{zone}_ntl_sum")] = total
        s[:, SCALAR_COLUMNS.index(f"{zone}_ntl_mean")] = total / pixels
        s[:, SCALAR_COLUMNS.index(f"{zone}_ntl_std")] = 0.8 * total / pixels
        s[:, SCALAR_COLUMNS.index(f"{zone}_pixels")] = pixels
    return s


def test_scalars_of_a_cloudy_month_after_a_shock_follow_the_month_not_the_shock():
    light = factory_light()
    truth = scalars_from(light)
    seen = truth.copy()
    for zone, share in (("urban", 0.6), ("rural", 0.5)):
        for stat in ("ntl_sum", "pixels"):
            seen[CLOUDY, SCALAR_COLUMNS.index(f"{zone}_{stat}")] *= share
    tables = tables_from(light)

    coupled, mask = fill_scalars(seen, tables)
    interpolated, _ = fill_scalars(seen)

    assert mask[CLOUDY].all() and mask.sum() == 2
    assert np.array_equal(coupled[np.arange(MONTHS) != CLOUDY], seen[np.arange(MONTHS) != CLOUDY])
    for zone in ("urban", "rural"):
        j = SCALAR_COLUMNS.index(f"{zone}_ntl_sum")
        err_coupled = abs(coupled[CLOUDY, j] / truth[CLOUDY, j] - 1.0)
        err_interp = abs(interpolated[CLOUDY, j] / truth[CLOUDY, j] - 1.0)
        # interpolation lands halfway between the shock and the recovery
        assert err_interp > 2e-3
        assert err_coupled < 0.2 * err_interp
        pixels = SCALAR_COLUMNS.index(f"{zone}_pixels")
        assert coupled[CLOUDY, pixels] == truth[CLOUDY, pixels]


def test_scalars_without_enough_clear_months_to_fit_fall_back_to_interpolation():
    light = factory_light()
    s = scalars_from(light)[:6]
    s[3, SCALAR_COLUMNS.index("urban_pixels")] *= 0.5
    coupled, mask = fill_scalars(s, tables_from(light)[:6])
    interpolated, _ = fill_scalars(s)
    assert mask[3, 0] and not mask[3, 1]
    assert np.array_equal(coupled, interpolated)


def test_hidden_factories_after_a_shock_get_the_month_s_own_change():
    light = factory_light()
    tables = tables_from(light)
    hidden = np.arange(0, FACTORIES, 3)
    clouded = tables.copy()
    clouded[CLOUDY, hidden] = 0.0
    filled, mask = fill_tables(clouded, min_valid_for_ratio=10)
    assert mask[CLOUDY, hidden].all() and mask.sum() == len(hidden)
    j = FEATURE_COLUMNS.index("ntl_factory")
    truth = tables[CLOUDY, hidden, j]
    naive = 0.5 * (tables[CLOUDY - 1, hidden, j] + tables[CLOUDY + 1, hidden, j])
    assert np.abs(naive / truth - 1.0).mean() > 0.1
    assert np.abs(filled[CLOUDY, hidden, j] / truth - 1.0).mean() < 0.03
