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


#: Rows of the summed-area tables built at a time by `box_mean_at`: bounds its memory to a few strips of the
#: raster, whatever its size (a country's month is 60 million pixels; the whole tables were 5 GB of float64).
SAT_BLOCK_ROWS = 512


def box_mean_at(values: np.ndarray, size: int, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """`box_mean(values, size)[rows, cols]`, bit for bit, without the whole-raster tables: the summed-area
    tables are built strip by strip (the running column sums carried from one strip to the next, so every
    float64 addition is the one `box_mean` makes, in the same order), and read only at the pixels asked for."""
    half = size // 2
    height, width = values.shape
    rows, cols = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
    padded_width = width + 2 * half
    # table row i = running sums down to padded row i - 1 (row 0 and column 0 are zeros); pixel (r, c) reads
    # table rows r and r + size, columns c and c + size
    wanted = np.zeros(height + 2 * half + 1, dtype=bool)
    wanted[rows] = True
    wanted[rows + size] = True
    last = int(np.flatnonzero(wanted).max()) if rows.size else 0
    corners = np.zeros((2, 4, rows.size))  # (sums, counts) x (a, b, c, d)
    carry = np.zeros((2, padded_width))
    for start in range(1, last + 1, SAT_BLOCK_ROWS):
        stop = min(start + SAT_BLOCK_ROWS, last + 1)  # table rows [start, stop) = padded rows [start-1, stop-1)
        p0, p1 = start - 1, stop - 1
        r0, r1 = max(p0 - half, 0), min(p1 - half, height)  # the raster's rows inside the strip
        strips = np.zeros((2, p1 - p0 + 1, padded_width))
        strips[:, 0] = carry
        if r1 > r0:
            finite = np.isfinite(values[r0:r1])
            inner = (slice(r0 + half - p0 + 1, r1 + half - p0 + 1), slice(half, half + width))
            strips[0][inner] = np.where(finite, values[r0:r1], 0.0).astype(np.float64)
            strips[1][inner] = finite
        sums = np.cumsum(strips, axis=1)[:, 1:]  # the carry first: the same additions as one cumsum down
        carry = sums[:, -1].copy()
        used = np.flatnonzero(wanted[start:stop])
        if used.size == 0:
            continue
        tables = np.zeros((2, used.size, padded_width + 1))
        tables[:, :, 1:] = sums[:, used].cumsum(2)
        for bottom, at_row in ((True, rows + size), (False, rows)):
            hit = np.flatnonzero((at_row >= start) & (at_row < stop))
            where = np.searchsorted(start + used, at_row[hit])
            right, left = tables[:, where, cols[hit] + size], tables[:, where, cols[hit]]
            corners[:, 0 if bottom else 1, hit] = right
            corners[:, 2 if bottom else 3, hit] = left
    a, b, c, d = corners[0]
    total = a - b - c + d
    a, b, c, d = corners[1]
    count = a - b - c + d
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
        rows, cols = np.nonzero(outliers)
        out[rows, cols] = box_mean_at(out, OUTLIER_WINDOW, rows, cols).astype(np.float32)
    return CleanedNTL(
        radiance=out,
        not_observed=not_observed,
        negatives_zeroed=int(negative.sum()),
        outliers_replaced=int(outliers.sum()),
    )
