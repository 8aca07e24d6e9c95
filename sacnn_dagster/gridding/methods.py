"""Which estimate the grid carries and how it is spread: the two gridding methods behind one call.

- `light` (the paper's): the estimate spread over industrial land in proportion to its light, pixels
  brighter than the 95th percentile of light at factories left out (`gridding.gvio_grid`).
- `factories`: each factory's share of the month, from a model that adds factories up, on the pixel that
  holds it (`gridding.factory_grid`).
- `blend`: half the estimate by each: the two err in different places (light leaks to bright pixels of
  industrial land and misses dark plants; factory shares follow a model's reading of each factory's light,
  which the city's glow around a factory can inflate), so their mean is never far from the better one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from sacnn_dagster.gridding.factory_grid import spread_on_factories
from sacnn_dagster.gridding.gvio_grid import GvioGrid, bright_threshold, distribute_estimate

LIGHT, FACTORIES, BLEND = "light", "factories", "blend"
GRID_METHODS = (LIGHT, FACTORIES, BLEND)
#: The method served by default, chosen on the accuracy bench's full bank (benchmarks/grid_methods.py: 8
#: generated regions and Mumbai's real lights, never the demo): district-year R² median (worst) 0.849 (-1.33)
#: for blend, 0.819 (0.267) for light, 0.691 (-6.66) for factories; blend best in 5 of 9 regions, second in 2.
#: Its worst cases are the factory shares' (glare-saturated heavy industry). `light` is used anyway in a month
#: without factory shares.
DEFAULT_GRID_METHOD = BLEND
#: The model whose estimate the grid carries when the estimates do not say which one is selected.
FALLBACK_MODEL = "sacnn"


def selected_model(estimates: pd.DataFrame) -> str:
    """The model of the row marked `selected` in a month's estimates (one row per model, a `model`
    column); SA-CNN where the table has no such column."""
    if "selected" not in estimates.columns:
        return FALLBACK_MODEL
    chosen = estimates.loc[estimates["selected"].astype(bool), "model"].tolist()
    if len(chosen) != 1:
        raise ValueError(f"the estimates mark {len(chosen)} rows as selected, not one: {chosen}")
    return str(chosen[0])


@dataclass
class FactoryShares:
    """The month's factories with a share of its output, on the month's grid."""

    shares: np.ndarray  # (N,)
    rows: np.ndarray  # (N,)
    cols: np.ndarray  # (N,)
    model: str


def make_grid(
    method: str,
    estimate: float,
    ntl: np.ndarray,
    industrial: np.ndarray,
    inside: np.ndarray,
    factory_ntl: np.ndarray,
    factories: FactoryShares | None,
) -> tuple[GvioGrid, str]:
    """The grid of `estimate` by `method` and the method used (`light` when `factories` is None or holds
    no factory; `blend` the mean of the other two). `ntl` cleaned radiance, `industrial`/`inside` bool
    masks, `factory_ntl` light at each factory's pixel (for the bright threshold)."""
    if method not in GRID_METHODS:
        raise ValueError(f"unknown grid method {method!r}; known: {', '.join(GRID_METHODS)}")
    light = distribute_estimate(estimate, ntl, industrial, inside, bright_threshold(factory_ntl))
    if method == LIGHT or factories is None or not len(factories.shares):
        return light, LIGHT
    on_factories = spread_on_factories(estimate, factories.shares, factories.rows, factories.cols, inside)
    if method == FACTORIES:
        return on_factories, FACTORIES
    both = replace(
        light,
        gvio=0.5 * light.gvio + 0.5 * on_factories.gvio,
        pixels_used=int(((light.gvio > 0) | (on_factories.gvio > 0)).sum()),
    )
    return both, BLEND
