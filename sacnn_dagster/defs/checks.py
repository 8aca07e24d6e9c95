"""Checks under their former module name; each lives in its domain's checks.py."""

from sacnn_dagster.defs.evaluation.checks import HELDOUT_R2
from sacnn_dagster.defs.features.checks import FACTORY_COUNT

__all__ = ["FACTORY_COUNT", "HELDOUT_R2"]
