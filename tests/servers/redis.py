"""A real Redis server for tests (the Celery broker of tests/executors/): `redis-server` in its own process on a
free loopback port, once per session, with no persistence (no RDB snapshots, no append-only file) and a password,
so that a test can check that the password never reaches the instance.

tests/conftest.py lists this module in `pytest_plugins`. `redis_url` (session) is
`redis://:PASSWORD@127.0.0.1:PORT`; add `/N` for database N. The binary is Debian's `redis-server` package, which
`make test` installs when missing.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.servers.loopback import free_port, stop, wait_until_up

PASSWORD = "test-redis-password-never-in-the-instance"


def _wait_until_up(url: str, process: subprocess.Popen, log: Path) -> None:
    import redis

    def ping() -> None:
        with redis.Redis.from_url(url, socket_timeout=1) as client:
            client.ping()

    wait_until_up("redis-server", ping, process, log, not_yet=(redis.exceptions.ConnectionError,))


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> str:
    """The URL (with its password) of a Redis server running in its own process for the whole session."""
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(binary).is_file():
        pytest.fail("redis-server is not installed (`apt-get install -y redis-server`; `make test` does it)")
    port = free_port()
    folder = tmp_path_factory.mktemp("redis")
    log = folder / "server.log"
    url = f"redis://:{PASSWORD}@127.0.0.1:{port}"
    # the password on stdin (a config file read from "-"), not on the command line where `ps` shows it
    config = (
        f'port {port}\nbind 127.0.0.1\ndir {folder}\nsave ""\nappendonly no\nrequirepass {PASSWORD}\ndaemonize no\n'
    )
    with log.open("wb") as out:
        process = subprocess.Popen([binary, "-"], stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT)
    process.stdin.write(config.encode())
    process.stdin.close()
    try:
        _wait_until_up(url, process, log)
        yield url
    finally:
        stop(process)
