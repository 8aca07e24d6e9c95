"""Synthetic demo regions: a city's night lights, factories, statistics and their truth, encoded like real data."""

from sacnn_dagster.demo.region_generator import make_demo_region
from sacnn_dagster.demo.spec import DemoSpec, QuirkPlan, plan_quirks

__all__ = ["DemoSpec", "QuirkPlan", "make_demo_region", "plan_quirks"]
