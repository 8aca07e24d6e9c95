"""SA-CNN (Gong et al. 2025) in PyTorch: one month = one single-channel image of its per-factory features.

- `network`: the paper's network (three conv/ReLU/max-pool stages, the month statistics joined before one
  linear output layer);
- `preprocessing`: a month's table and statistics -> the network's inputs (scaling fitted on the training
  months, the image layout, whitened statistics);
- `training`: the label loss (combined labels against the sum of their months), the output layer's warm
  start and learning rates, epochs, early stopping, reproducible torch;
- `model`: `SacnnModel`, the models' common interface: fit, predict with an interval, save, load.

Cloud gaps are filled in time first (`models.gapfill`): a cloudy month otherwise looks like a month in
which half the factories stopped.
"""

from sacnn_dagster.models.sacnn.model import SacnnModel
from sacnn_dagster.models.sacnn.network import MIN_SIDE, ConcatLinear, SacnnNet, image_side
from sacnn_dagster.models.sacnn.preprocessing import (
    INPUT_MODES,
    ZERO_VALUE,
    fit_input_transform,
    prepare_table,
    to_images,
    whitening_matrix,
)

__all__ = [
    "INPUT_MODES",
    "MIN_SIDE",
    "ZERO_VALUE",
    "ConcatLinear",
    "SacnnModel",
    "SacnnNet",
    "fit_input_transform",
    "image_side",
    "prepare_table",
    "to_images",
    "whitening_matrix",
]
