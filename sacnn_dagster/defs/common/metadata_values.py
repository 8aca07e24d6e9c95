"""Numbers made fit for the metadata the UI shows (no NaN)."""

import numpy as np


def finite_mean(values: np.ndarray) -> float | None:
    """Mean of the finite values; None when there are none (a month with nothing observed)."""
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else None
