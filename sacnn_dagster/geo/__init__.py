"""Space: the night-light pixel lattice, COGs, polygon layers (boundary, districts, land use) and GCJ-02. No Dagster."""
