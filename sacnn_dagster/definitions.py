"""The Dagster code location: the region named by SACNN_REGION (default ./demo-region), outputs under
SACNN_STORAGE (a folder or s3://bucket/prefix; default ./sacnn-output/<region name>/). With SACNN_REGIONS (a
catalogue of region folders), SACNN_REGION names one of its regions, the outputs go under
<SACNN_STORAGE or ./sacnn-output>/<region name>/ as `sacnn-dagster run --regions` writes them, and the asset
region_catalogue shows the catalogue's regions and its bad folders."""

import os

from sacnn_dagster.defs.catalogue_location import catalogue_location
from sacnn_dagster.defs.code_location import DEFAULT_REGION, build_definitions

if os.environ.get("SACNN_REGIONS"):
    defs = catalogue_location(
        os.environ["SACNN_REGIONS"], os.environ.get("SACNN_REGION"), os.environ.get("SACNN_STORAGE") or None
    )
else:
    defs = build_definitions(os.environ.get("SACNN_REGION", DEFAULT_REGION), os.environ.get("SACNN_STORAGE") or None)
