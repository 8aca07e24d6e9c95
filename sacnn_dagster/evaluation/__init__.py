"""How good the estimates are: metrics, hold-out splits, and validation of the grid against independent truth. No
Dagster.
"""
