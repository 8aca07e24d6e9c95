"""A real S3-compatible endpoint for tests: moto's server in its own process on loopback, so that every
request goes through HTTP, signing and s3fs exactly as it would against AWS or MinIO.

tests/conftest.py lists this module in `pytest_plugins`. `s3_endpoint` (session) is the server's URL;
`s3_bucket` (per test) is a fresh, empty bucket with test AWS keys set in the environment. A Dagster test
also sets `SACNN_S3_ENDPOINT_URL` (outputs) with monkeypatch and `s3_endpoint_url` (inputs) in region.yaml
to `s3_bucket.endpoint_url`.
"""

from __future__ import annotations

import subprocess
import sys
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import s3fs

from tests.servers.loopback import free_port, stop, wait_until_up

ACCESS_KEY = "AKIATESTACCESSKEY001"
SECRET_KEY = "test-secret-key-never-in-messages"


def _wait_until_up(url: str, process: subprocess.Popen, log: Path) -> None:
    wait_until_up(
        f"moto server at {url}", lambda: urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close(), process, log
    )


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory) -> str:
    """The URL of a moto S3 server running in its own process for the whole session."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path_factory.mktemp("moto") / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(url, process, log)
        yield url
    finally:
        stop(process)


@dataclass
class S3Bucket:
    endpoint_url: str
    name: str
    #: Signed with the test keys, no listing cache: the test's own view of the bucket.
    fs: s3fs.S3FileSystem

    def url(self, path: str = "") -> str:
        return f"s3://{self.name}/{path}".rstrip("/")

    def put(self, path: str, data: bytes) -> None:
        self.fs.pipe_file(f"{self.name}/{path}", data)

    def upload(self, local: Path, prefix: str) -> None:
        """Every file below the local folder `local` under `prefix/`, keeping relative paths."""
        for file in sorted(p for p in local.rglob("*") if p.is_file()):
            self.fs.put_file(str(file), f"{self.name}/{prefix}/{file.relative_to(local).as_posix()}")

    def keys(self, prefix: str = "") -> list[str]:
        return sorted(p[len(self.name) + 1 :] for p in self.fs.find(f"{self.name}/{prefix}".rstrip("/")))


@pytest.fixture
def s3_bucket(s3_endpoint, monkeypatch) -> S3Bucket:
    """A new empty bucket on the session's server; AWS keys for it in the environment (where botocore's
    default chain and `CredentialsResource.from_environment` find them), any other AWS setting cleared."""
    for var in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL", "SACNN_S3_ENDPOINT_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    fs = s3fs.S3FileSystem(
        key=ACCESS_KEY, secret=SECRET_KEY, endpoint_url=s3_endpoint, use_listings_cache=False, skip_instance_cache=True
    )
    name = f"test-{uuid.uuid4().hex[:16]}"
    fs.mkdir(name)
    return S3Bucket(s3_endpoint, name, fs)
