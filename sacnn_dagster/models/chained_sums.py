"""City sums of factory features that do not jump when the POI list changes.

A new POI snapshot lists factories that were working (and lit) long before, and drops some that still work:
a plain sum over the listed factories steps up or down by several per cent at every snapshot while the
city's output does not (the accuracy bench's county seat: +10 % light at its 2021 snapshot, output flat; a
sum model trained on the two years before put the whole next year 30-80 % off). Statistics offices meet the
same problem when a price index's basket changes, and answer it with a chained matched-sample index: each
month's sum moves by the change over the factories listed both in it and in the month before, so a factory
enters the index through its own changes, never through being listed. Written here (a cumulative product
of ratios) because no maintained library offers it for arrays.
"""

from __future__ import annotations

import numpy as np


def chained_sums(values: np.ndarray, listed: np.ndarray) -> np.ndarray:
    """(M, K) chained sums of `values` (M, R, K), factories (R) counted while `listed` (M, R): the first
    month's plain sum, then each month's ratio over the factories listed in it and in the month before.
    Anchored at the first month, so adding later months never changes the earlier ones."""
    values = values.astype(np.float64)
    both = (listed[1:] & listed[:-1])[:, :, None]
    num = (values[1:] * both).sum(axis=1)
    den = (values[:-1] * both).sum(axis=1)
    # no matched factory with any light of this kind: carry the level over
    ratio = np.where(den > 0, num / np.where(den > 0, den, 1.0), 1.0)
    first = (values[0] * listed[0][:, None]).sum(axis=0)
    return first[None, :] * np.vstack([np.ones((1, values.shape[2])), np.cumprod(ratio, axis=0)])
