"""Models of monthly GVIO: the data they learn from (`dataset`, `gapfill`, `inputs`), their common interface
(`base`), SA-CNN (`sacnn/`) and its rivals (`rivals/`), by name (`registry`) and side by side (`suite`).
No Dagster.
"""
