"""Cleaning of monthly radiance, as in the paper, plus the observation mask the paper lacked.

- Pixels with no cloud-free observation (cf_cvg == 0) are *not observed*: NaN, never 0. A radiance of 0
  there means clouds (or monsoon), not darkness.
- Negative radiance (sensor noise: about -1.5, in the odd pixel of a real-light region down to -2.4) becomes 0:
  noise is clamped here, not refused. A fill value (-999) or a wrong scale never gets here: `composite_valid`
  (quality/composite.py) tells them from noise by magnitude and share and blocks the month.
- Pixels above 262 nW/cm²/sr (gas flares, steel works, sensor artefacts) are replaced by the mean of
  their 5x5 neighbourhood, computed once over the observed pixels of the negatives-fixed raster, the
  neighbourhood including the pixel itself (ArcGIS FocalStatistics MEAN, as the authors' code did).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

OUTLIER_THRESHOLD = 262.0
OUTLIER_WINDOW = 5


@dataclass
class CleanedNTL:
    radiance: np.ndarray  # float32, NaN where outside the area or not observed
    not_observed: np.ndarray  # bool, inside the area but no cloud-free observation
    negatives_zeroed: int
    outliers_replaced: int


def box_mean(values: np.ndarray, size: int) -> np.ndarray:
    """Mean over a size x size window of the finite values (NaN where the window has none), by summed-area
    tables: O(pixels), whatever the window."""
    half = size // 2
    finite = np.isfinite(values)
    v = np.pad(np.where(finite, values, 0.0).astype(np.float64), half)
    c = np.pad(finite.astype(np.float64), half)

    def window_sum(a: np.ndarray) -> np.ndarray:
        s = np.zeros((a.shape[0] + 1, a.shape[1] + 1))
        s[1:, 1:] = a.cumsum(0).cumsum(1)
        return s[size:, size:] - s[:-size, size:] - s[size:, :-size] + s[:-size, :-size]

    total, count = window_sum(v), window_sum(c)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, np.nan)


def clean_ntl(radiance: np.ndarray, coverage: np.ndarray) -> CleanedNTL:
    """Apply the cleaning rules above. `coverage` NaN means unknown (no cf_cvg): treated as observed."""
    out = radiance.astype(np.float32, copy=True)
    not_observed = np.isfinite(out) & (coverage == 0)
    out[not_observed] = np.nan
    negative = out < 0
    out[negative] = 0.0
    outliers = out > OUTLIER_THRESHOLD
    if outliers.any():
        out[outliers] = box_mean(out, OUTLIER_WINDOW)[outliers].astype(np.float32)
    return CleanedNTL(
        radiance=out,
        not_observed=not_observed,
        negatives_zeroed=int(negative.sum()),
        outliers_replaced=int(outliers.sum()),
    )
