"""Data-quality verdicts behind the asset checks, as pure functions of arrays and tables. No Dagster."""
