"""Dagster assets, grouped as the UI shows them: sources, features, model, outputs."""
