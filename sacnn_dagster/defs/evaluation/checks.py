"""The check of the models' evaluation: SA-CNN's held-out R² above the region's floor (an error, judged
after the fact: nothing follows the evaluation)."""

from __future__ import annotations

import dagster as dg

from sacnn_dagster.config.limits import Limits
from sacnn_dagster.defs.common.check_reporting import Check
from sacnn_dagster.quality.model import MIN_HELD_OUT_LABELS, heldout_r2

HELDOUT_R2 = Check(
    "heldout_r2_above_floor",
    "model_evaluation",
    False,
    lambda limits: (
        f"SA-CNN's R² on held-out labels, after retraining without them, is at least {limits.r2_floor} "
        f"on every split holding out {MIN_HELD_OUT_LABELS} labels or more."
    ),
)


def evaluation_check(models: dict, limits: Limits) -> dg.AssetCheckResult:
    """The held-out R² floor, judged on `evaluation/summary.json`'s models (an error, not blocking:
    nothing follows the evaluation)."""
    verdict = heldout_r2(models, limits)
    return dg.AssetCheckResult(
        check_name=HELDOUT_R2.name, passed=verdict.passed, metadata=verdict.measured, description=verdict.description
    )
