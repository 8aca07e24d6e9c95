"""What SA-CNN's month image costs in memory, and the refusal when a region is too large for it.

A month is one image of side ceil(sqrt(factories x features)): a million factories with 20 features is a
4473 x 4473 image, 80 MB a month. The convolutions keep activations of 16 (then 32, 64) channels at that
size and a quarter of it: measured (torch 2, CPU, channels-last; `benchmarks/country_month.py`, step sacnn)
about 130 bytes per image pixel for a forward pass and 235 for a forward and backward pass, per image of a
batch of 20 (`/proc` peak resident size less the size before the pass). Training a batch of 20 such months
needs some 100 GB; one month's forward pass alone about 2.6 GB.
The refusal comes before any of it is allocated, and names the models that keep a few numbers per factory.
"""

from __future__ import annotations

#: Bytes per image pixel and per image of a batch: a training step (forward and backward, measured 233 with
#: a batch of 20) and a forward pass without gradients (measured 129).
TRAINING_BYTES_PER_PIXEL = 240
INFERENCE_BYTES_PER_PIXEL = 130
#: Bytes per cell of the (months, factories, features) table while it is prepared (float64 statistics,
#: float32 copies) and per image pixel of every month held at once.
TABLE_BYTES_PER_CELL = 16
IMAGE_BYTES_PER_PIXEL = 4
#: The memory SA-CNN may plan to use (issue 15's 4 GB machine); `SacnnModel.memory_limit_bytes`.
DEFAULT_MEMORY_LIMIT = 4 * 2**30
#: Months a prediction passes through the network at a time (`SacnnModel._raw_predict`).
PREDICT_BATCH = 16


class SacnnTooLarge(ValueError):
    """The region's month image would not fit in the memory SA-CNN is allowed: use a model that scales."""


def sacnn_memory_bytes(n_months: int, n_factories: int, n_features: int, batch: int, training: bool) -> int:
    """The memory SA-CNN would need for these months: the prepared tables, every month's image, and the
    activations of one batch (with gradients when `training`)."""
    from sacnn_dagster.models.sacnn.network import image_side

    pixels = image_side(n_factories, n_features) ** 2
    per_image = TRAINING_BYTES_PER_PIXEL if training else INFERENCE_BYTES_PER_PIXEL
    return (
        n_months * n_factories * n_features * TABLE_BYTES_PER_CELL
        + n_months * pixels * IMAGE_BYTES_PER_PIXEL
        + max(1, min(batch, n_months)) * pixels * per_image
    )


def refuse_if_too_large(
    n_months: int, n_factories: int, n_features: int, batch: int, training: bool, limit_bytes: int
) -> None:
    """Raise `SacnnTooLarge` (a ValueError) when SA-CNN would need more than `limit_bytes`, before any work."""
    need = sacnn_memory_bytes(n_months, n_factories, n_features, batch, training)
    if need <= limit_bytes:
        return
    from sacnn_dagster.models.sacnn.network import image_side

    side = image_side(n_factories, n_features)
    raise SacnnTooLarge(
        f"SA-CNN cannot take this region: {n_factories:,} factories x {n_features} features make each month a "
        f"{side:,} x {side:,} image, and {'training on' if training else 'predicting'} {n_months} month(s) "
        f"would need about {need / 2**30:,.1f} GB of memory, over the {limit_bytes / 2**30:,.1f} GB allowed "
        f"(SacnnModel.memory_limit_bytes). Use the models that keep a few numbers per factory instead of an "
        f"image: the per-factory model `factory_sum` or the random forest `random_forest`."
    )
