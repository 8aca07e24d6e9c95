"""sacnn_dagster: monthly pixel-level industrial output (GVIO) maps from VIIRS night lights, run by Dagster.

The folders tell the architecture (README, "Code layout"): pure packages that know nothing of Dagster
(config, geo, io, nightlights, features, models, gridding, evaluation, quality, reports, versioning, demo),
the Dagster layer over them (defs/, loaded through definitions.py), and the command line (cli/). Layers
import downwards only; import-linter enforces it (pyproject.toml).
"""

__version__ = "0.1.0"
