"""The automation's own definitions: the chain of run-status sensors and the monthly catch-up schedule."""

from __future__ import annotations

import dagster as dg

from sacnn_dagster.defs.automation.catch_up import build_monthly_catch_up
from sacnn_dagster.defs.automation.chain import (
    build_estimate_after_retraining,
    build_estimate_updated_months,
    build_evaluate_after_estimates,
)
from sacnn_dagster.defs.automation.region_automation import RegionAutomation


def automation_definitions(automation: RegionAutomation) -> dg.Definitions:
    return dg.Definitions(
        sensors=[
            build_estimate_updated_months(automation),
            build_estimate_after_retraining(automation),
            build_evaluate_after_estimates(automation),
        ],
        schedules=[build_monthly_catch_up(automation)],
    )
