"""Automation settings under their former module name; they live in defs/automation/settings.py."""

from sacnn_dagster.defs.automation.settings import AUTOMATION_ENV

__all__ = ["AUTOMATION_ENV"]
