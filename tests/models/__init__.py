"""Small synthetic datasets with a known relation between factory light and output, for the model tests."""

from __future__ import annotations

import numpy as np

from sacnn_dagster.config.months import month_range
from sacnn_dagster.features.patches import FEATURE_COLUMNS
from sacnn_dagster.models.dataset import SCALAR_COLUMNS, FactoryRegistry, Labels, MonthlyDataset


def synthetic(
    n_months: int = 72, n_factories: int = 40, seed: int = 0, start: str = "2015-01", light_in_scalars: bool = True
):
    """(dataset, monthly truth): factory output = capacity x a citywide index (trend, season, a low
    February) x noise; the factory's light = 10 x output^0.6 + city light (its own trend), its buffer sums
    the same plus noise; the month scalars describe the city light (and include the factories' light
    unless `light_in_scalars` is False: then only the image tells the output). Truth = the sum of the
    outputs."""
    rng = np.random.default_rng(seed)
    months = month_range(start, "2100-12")[:n_months]
    m_of_year = np.array([int(m[5:]) for m in months])
    t = np.arange(n_months) / 12.0
    index = (1.0 + 0.03 * t) * (1.0 + 0.05 * np.sin(2 * np.pi * m_of_year / 12.0))
    index = index * np.where(m_of_year == 2, 0.7, 1.0) * np.exp(rng.normal(0, 0.03, n_months))
    capacity = rng.lognormal(0.0, 0.7, n_factories)
    output = capacity[None, :] * index[:, None] * np.exp(rng.normal(0, 0.05, (n_months, n_factories)))
    city = 5.0 * 1.06**t  # city light grows on its own
    light = 10.0 * output**0.6 + city[:, None]
    f = len(FEATURE_COLUMNS)
    tables = np.zeros((n_months, n_factories, f), dtype=np.float32)
    col = {name: j for j, name in enumerate(FEATURE_COLUMNS)}
    tables[:, :, col["ntl_factory"]] = light
    tables[:, :, col["ntl_buffer_max"]] = light * 1.2
    tables[:, :, col["factory_above_20"]] = light > 20
    tables[:, :, col["lu_301_ntl_sum"]] = light * 6 + rng.normal(0, 1, light.shape)
    tables[:, :, col["lu_101_ntl_sum"]] = city[:, None] * 4 + rng.normal(0, 1, light.shape)
    tables[:, :, col["lu_ntl_sum"]] = tables[:, :, col["lu_301_ntl_sum"]] + tables[:, :, col["lu_101_ntl_sum"]]
    tables[:, :, col["ntl_buffer_sum"]] = tables[:, :, col["lu_ntl_sum"]] * 1.1
    tables[:, :, col["dominant_landuse"]] = 4
    tables[:, :, col["observed_fraction"]] = 1.0
    scalars = np.zeros((n_months, len(SCALAR_COLUMNS)))
    sc = {name: j for j, name in enumerate(SCALAR_COLUMNS)}
    scalars[:, sc["urban_ntl_sum"]] = 1000 * city + (light.sum(axis=1) if light_in_scalars else 0.0)
    scalars[:, sc["urban_ntl_mean"]] = city * 2
    scalars[:, sc["urban_ntl_std"]] = city
    scalars[:, sc["urban_pixels"]] = 1000
    scalars[:, sc["rural_ntl_sum"]] = 3000 * city * 0.2
    scalars[:, sc["rural_ntl_mean"]] = city * 0.2
    scalars[:, sc["rural_ntl_std"]] = city * 0.1
    scalars[:, sc["rural_pixels"]] = 3000
    total = scalars[:, sc["urban_ntl_sum"]] + scalars[:, sc["rural_ntl_sum"]]
    registry = FactoryRegistry(tuple(f"f{i:04d}" for i in range(n_factories)))
    data = MonthlyDataset(months, registry, tables, scalars, total, np.zeros(n_months, dtype=np.int64))
    return data, output.sum(axis=1)


def monthly_labels(values: np.ndarray, months: list[str], rows: list[list[int]]) -> Labels:
    """Labels for groups of month indices: each label is the sum of `values` over its months."""
    membership = np.zeros((len(rows), len(months)))
    periods = []
    for i, group in enumerate(rows):
        membership[i, group] = 1.0
        periods.append(months[group[0]] if len(group) == 1 else f"{months[group[0]]}/{months[group[-1]]}")
    return Labels(periods, membership @ values, membership, membership.sum(axis=1).astype(np.int64))


def jan_feb_combined(months: list[str]) -> list[list[int]]:
    """Label groups as the bureau publishes them: January and February together, other months alone."""
    rows, i = [], 0
    while i < len(months):
        if months[i].endswith("-01") and i + 1 < len(months) and months[i + 1].endswith("-02"):
            rows.append([i, i + 1])
            i += 2
        else:
            rows.append([i])
            i += 1
    return rows
