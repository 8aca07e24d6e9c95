"""Dagster assets, grouped as the UI shows them."""
