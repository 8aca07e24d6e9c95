"""The monthly loop under its former module name; it lives in defs/common/monthly.py."""

from sacnn_dagster.defs.common.monthly import FAILED_MONTHS, materialize_months

__all__ = ["FAILED_MONTHS", "materialize_months"]
