"""The Dagster code location: the region named by SACNN_REGION (default ./demo-region), outputs under
SACNN_STORAGE (a folder or s3://bucket/prefix; default ./sacnn-output/<region name>/)."""

import os

from sacnn_dagster.defs.code_location import DEFAULT_REGION, build_definitions

defs = build_definitions(os.environ.get("SACNN_REGION", DEFAULT_REGION), os.environ.get("SACNN_STORAGE") or None)
