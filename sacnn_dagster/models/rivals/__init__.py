"""SA-CNN's rivals: a random forest on the same inputs, the linear baseline on total NTL, and a sum-aware
ridge regression on factory features aggregated over the city (this project's own model).

All three are cheap (seconds) and saved as plain JSON files (`base.JsonStateModel`), the forest with a
pickle beside it.
"""

from sacnn_dagster.models.rivals.linear_baseline import LinearNtlModel
from sacnn_dagster.models.rivals.random_forest import RandomForestModel
from sacnn_dagster.models.rivals.sum_ridge import RIDGE_ALPHAS, SumRidgeModel

__all__ = ["RIDGE_ALPHAS", "LinearNtlModel", "RandomForestModel", "SumRidgeModel"]
