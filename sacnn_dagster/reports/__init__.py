"""Pictures for people: maps of monthly rasters and the chart of estimates, as PNG. No Dagster."""
