"""Data-quality verdicts behind the asset checks, as pure functions of arrays and tables, one module per
kind of output judged (verdict.py says what a verdict is). No Dagster."""
