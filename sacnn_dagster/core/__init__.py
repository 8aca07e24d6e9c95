"""Pure computational core: no Dagster imports here."""
