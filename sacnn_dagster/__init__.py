"""sacnn_dagster: monthly pixel-level industrial output (GVIO) maps from VIIRS night lights, run by Dagster.

The package has a pure core (`sacnn_dagster.core`: raster I/O, coordinates, sampling) that knows nothing of
Dagster, and a thin Dagster layer (`assets/`, `defs/resources.py`, `defs/partitions.py`, `definitions.py`).
"""

__version__ = "0.1.0"
