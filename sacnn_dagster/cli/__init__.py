"""The command-line tools, outside the code location: `sacnn-dagster run`, `backfill`, `demo`."""
