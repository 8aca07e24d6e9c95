"""The Dagster code location.

- One region: the region folder in $SACNN_REGION (default ./demo-region), its outputs under $SACNN_STORAGE (a
  folder or s3://bucket/prefix; default ./sacnn-output/<region name>/).
- A catalogue: $SACNN_REGIONS names a folder (or s3://bucket/prefix) of region folders; every region is served,
  each as a repository of its own with its assets under `<region name>/` and its outputs under
  <SACNN_STORAGE or ./sacnn-output>/<region name>/, beside the repository `catalogue` (region_catalogue,
  gvio_regions). $SACNN_REGION (names, comma-separated) then serves those regions of the catalogue only."""

import gc
import os

from sacnn_dagster.defs.catalogue.location import catalogue_repositories, repository_name
from sacnn_dagster.defs.code_location import DEFAULT_REGION, build_definitions

if os.environ.get("SACNN_REGIONS"):
    only = [name.strip() for name in os.environ.get("SACNN_REGION", "").split(",") if name.strip()]
    repositories = catalogue_repositories(
        os.environ["SACNN_REGIONS"], os.environ.get("SACNN_STORAGE") or None, only or None
    )
    # Dagster loads every repository it finds at module scope into the code location: one name each.
    globals().update({f"repository_{repository_name(r.name)}": r for r in repositories})
else:
    defs = build_definitions(os.environ.get("SACNN_REGION", DEFAULT_REGION), os.environ.get("SACNN_STORAGE") or None)

# Everything built above lives as long as the code server: moved out of the garbage collector's sight, so that a
# full collection no longer walks it. With 50 regions a full collection took 0.69 s before and 0.00 s after, and
# a sensor tick that met one took over a second (benchmarks/regions.py, README "Many regions").
gc.freeze()
