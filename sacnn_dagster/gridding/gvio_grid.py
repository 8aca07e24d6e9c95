"""From a monthly GVIO estimate to the pixel grid, as in the paper, but adding up.

1. The industrial mask: pixels whose centre lies on industrial land (EULUC 301). Without a land-use layer,
   the pixels holding a factory stand in.
2. Pixels brighter than the 95th percentile of NTL at factory pixels get nothing: such light is
   commercial or residential (the paper's threshold was 42.2 in Shanghai).
3. Each remaining pixel gets NTL_pixel x estimate / (sum of the remaining NTL), so the grid sums to the
   estimate exactly. (The authors' code took the sum before removing the bright pixels; its grid does not
   add up.) Pixels not observed this month carry no light and get nothing; if no industrial pixel is
   observed at all, the estimate is spread evenly over the industrial mask rather than lost.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BRIGHT_PERCENTILE = 95.0


@dataclass
class GvioGrid:
    gvio: np.ndarray  # float64 (H, W), 亿元 per pixel; 0 off the mask, NaN outside the area
    threshold: float  # NTL above which a pixel is excluded
    pixels_used: int
    pixels_bright_excluded: int
    pixels_not_observed: int
    spread_evenly: bool


def bright_threshold(factory_ntl: np.ndarray) -> float:
    finite = factory_ntl[np.isfinite(factory_ntl)]
    return float(np.percentile(finite, BRIGHT_PERCENTILE)) if finite.size else float("inf")


def distribute_estimate(
    estimate: float, ntl: np.ndarray, industrial: np.ndarray, inside: np.ndarray, threshold: float
) -> GvioGrid:
    """`ntl` cleaned radiance (NaN = not observed or outside), `industrial` bool mask, `inside` bool mask
    of the area of interest."""
    mask = industrial & inside
    observed = mask & np.isfinite(ntl)
    bright = observed & (ntl > threshold)
    usable = observed & ~bright
    weights = np.where(usable, np.nan_to_num(ntl), 0.0).astype(np.float64)
    total = weights.sum()
    spread_evenly = not total > 0
    if spread_evenly:
        weights = mask.astype(np.float64)
        total = weights.sum()
    gvio = np.where(inside, 0.0, np.nan)
    if total > 0:
        gvio = np.where(inside, weights * (estimate / total), np.nan)
    return GvioGrid(
        gvio=gvio,
        threshold=threshold,
        pixels_used=int((weights > 0).sum()),
        pixels_bright_excluded=int(bright.sum()),
        pixels_not_observed=int((mask & ~np.isfinite(ntl)).sum()),
        spread_evenly=spread_evenly,
    )
