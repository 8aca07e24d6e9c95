"""The output storage for a root: a local folder, or an S3 prefix on AWS or an S3-compatible endpoint."""

from __future__ import annotations

from pathlib import Path

from sacnn_dagster.defs.resources.credentials import CredentialsResource
from sacnn_dagster.defs.resources.local_storage import LocalOutputStorage
from sacnn_dagster.defs.resources.s3_storage import S3OutputStorage
from sacnn_dagster.defs.resources.storage import OutputStorage

# The endpoint is read in io (an s3:// catalogue needs it too); imported from here by the code location and tests.
from sacnn_dagster.io.s3_folder import ENDPOINT_ENV_VARS, endpoint_url_from_environment, split_s3_url

__all__ = ["ENDPOINT_ENV_VARS", "endpoint_url_from_environment", "output_storage"]


def output_storage(
    root: str, credentials_resource: CredentialsResource, endpoint_url: str | None = None
) -> OutputStorage:
    """The storage for `root`: `s3://bucket/prefix` on S3 (at `endpoint_url`), anything else a local folder."""
    if root.startswith("s3://"):
        split_s3_url(root)  # a malformed URL fails when the definitions load, not in the first run
        return S3OutputStorage(root=root.rstrip("/"), credentials=credentials_resource, endpoint_url=endpoint_url)
    return LocalOutputStorage(root=str(Path(root).resolve()))
