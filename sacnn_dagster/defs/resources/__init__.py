"""Dagster resources, each one interface whatever is behind it: the region's inputs (a local folder, HTTP or
S3, through RegionResource), the output storage (a local folder or S3: OutputStorage and its two variants)
and the credentials for remote sources."""

from sacnn_dagster.defs.resources.credentials import CredentialsResource
from sacnn_dagster.defs.resources.region import RegionResource
from sacnn_dagster.defs.resources.storage import OutputStorage

__all__ = ["CredentialsResource", "OutputStorage", "RegionResource"]
