"""The output storage for a root: a local folder, or an S3 prefix on AWS or an S3-compatible endpoint."""

from __future__ import annotations

import os
from pathlib import Path

from sacnn_dagster.defs.resources.credentials import CredentialsResource
from sacnn_dagster.defs.resources.local_storage import LocalOutputStorage
from sacnn_dagster.defs.resources.s3_storage import S3OutputStorage
from sacnn_dagster.defs.resources.storage import OutputStorage
from sacnn_dagster.io.s3_folder import split_s3_url

#: Environment variables naming the S3-compatible endpoint (MinIO, moto, ...) of an s3:// output root, in
#: order of precedence; neither set means AWS itself.
ENDPOINT_ENV_VARS = ("SACNN_S3_ENDPOINT_URL", "AWS_ENDPOINT_URL")


def endpoint_url_from_environment() -> str | None:
    """The S3 endpoint for outputs: the first of `ENDPOINT_ENV_VARS` that is set."""
    return next((os.environ[v] for v in ENDPOINT_ENV_VARS if os.environ.get(v)), None)


def output_storage(
    root: str, credentials_resource: CredentialsResource, endpoint_url: str | None = None
) -> OutputStorage:
    """The storage for `root`: `s3://bucket/prefix` on S3 (at `endpoint_url`), anything else a local folder."""
    if root.startswith("s3://"):
        split_s3_url(root)  # a malformed URL fails when the definitions load, not in the first run
        return S3OutputStorage(root=root.rstrip("/"), credentials=credentials_resource, endpoint_url=endpoint_url)
    return LocalOutputStorage(root=str(Path(root).resolve()))
