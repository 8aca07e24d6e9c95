"""The verdicts under their former module name, for the importers not yet moved to the modules by kind
(composite.py, factories.py, patches.py, estimates.py, grid.py, model.py, verdict.py)."""

from sacnn_dagster.quality.composite import RADIANCE_RANGE, composite_coverage, composite_quality, composite_valid
from sacnn_dagster.quality.estimates import ESTIMATE_HISTORY_MONTHS, MIN_HISTORY_MONTHS, estimate_plausibility
from sacnn_dagster.quality.factories import FactorySet, factory_count_change
from sacnn_dagster.quality.grid import GRID_SUM_TOLERANCE, grid_sum
from sacnn_dagster.quality.model import MIN_HELD_OUT_LABELS, heldout_r2
from sacnn_dagster.quality.patches import patch_completeness
from sacnn_dagster.quality.verdict import Measured, Severity, Verdict

__all__ = [
    "ESTIMATE_HISTORY_MONTHS",
    "GRID_SUM_TOLERANCE",
    "MIN_HELD_OUT_LABELS",
    "MIN_HISTORY_MONTHS",
    "RADIANCE_RANGE",
    "FactorySet",
    "Measured",
    "Severity",
    "Verdict",
    "composite_coverage",
    "composite_quality",
    "composite_valid",
    "estimate_plausibility",
    "factory_count_change",
    "grid_sum",
    "heldout_r2",
    "patch_completeness",
]
