"""A real PostgreSQL server for tests: a throwaway cluster (`initdb` into a temporary folder) started once per
session on a free loopback port, stopped and deleted at the end. Dagster's instance on it is the production
one (dagster-postgres storage), so runs, events, schedules and the daemon's queue go through a real server.

tests/conftest.py lists this module in `pytest_plugins`.

- `postgres_url` (session): `postgresql://USER:PASSWORD@127.0.0.1:PORT/DB` of the session's database.
- `postgres_db` (per test): a new, empty database on the same server (`PostgresDB`), with
  `DAGSTER_PG_PASSWORD` set in the environment; `postgres_db.write_dagster_yaml(home)` writes the
  `dagster.yaml` of a `DAGSTER_HOME` on it, the password read from that variable, never in the file.
- `write_dagster_yaml(home, url, extra_yaml)` does the same for any URL.

The binaries: `initdb` on PATH, else the newest `/usr/lib/postgresql/*/bin` (Debian's `postgresql` package,
which `make test` installs when missing). `initdb` and `postgres` refuse to run as root: as root (here and in
CI) they run as the `postgres` user the package creates, or as a throwaway system user created for it.
"""

from __future__ import annotations

import ctypes
import glob
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.servers.loopback import free_port, wait_until_up

USER = "sacnn"
PASSWORD = "test-pg-password-never-in-files"
DATABASE = "dagster"
PASSWORD_ENV = "DAGSTER_PG_PASSWORD"
#: The system user that runs the server when the tests run as root and no `postgres` user exists.
THROWAWAY_OS_USER = "sacnn-pgtest"
START_TIMEOUT_S = 60
#: A test server: nothing it holds must survive a crash, so no flushes to disk (much faster on small disks).
SERVER_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    # the daemon, its code server and every run worker each hold connections
    "max_connections": "200",
}


def find_bin_dir() -> Path:
    """The folder holding `initdb`, `postgres` and `pg_ctl`."""
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).resolve().parent
    found = glob.glob("/usr/lib/postgresql/*/bin/initdb")
    if not found:
        raise RuntimeError(
            "PostgreSQL is not installed: no initdb on PATH nor under /usr/lib/postgresql/*/bin "
            "(`apt-get install -y postgresql`; `make test` does it)"
        )

    def version(path: str) -> tuple[int, ...]:
        return tuple(int(n) for n in re.findall(r"\d+", Path(path).parents[1].name))

    return Path(max(found, key=version)).parent


def _os_user() -> pwd.struct_passwd | None:
    """Who runs the server: None (this process's user) unless we are root, which initdb refuses."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", THROWAWAY_OS_USER):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            pass
    subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", THROWAWAY_OS_USER],
        check=True,
        capture_output=True,
    )
    return pwd.getpwnam(THROWAWAY_OS_USER)


def _connect(url: str, dbname: str = "postgres"):
    import psycopg2

    parts = urlsplit(url)
    return psycopg2.connect(
        host=parts.hostname, port=parts.port, user=parts.username, password=parts.password, dbname=dbname
    )


def create_database(url: str, name: str) -> str:
    """A new empty database on the server of `url`; its URL."""
    connection = _connect(url)
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        connection.close()
    return urlsplit(url)._replace(path=f"/{name}").geturl()


def write_dagster_yaml(home: Path, url: str, extra_yaml: str = "") -> Path:
    """`home/dagster.yaml` for an instance on the database of `url` (dagster-postgres storage for runs, events
    and schedules), the password read from $DAGSTER_PG_PASSWORD; `extra_yaml` appended (other top-level keys)."""
    parts = urlsplit(url)
    storage = (
        "storage:\n"
        "  postgres:\n"
        "    postgres_db:\n"
        f"      username: {parts.username}\n"
        "      password:\n"
        f"        env: {PASSWORD_ENV}\n"
        f"      hostname: {parts.hostname}\n"
        f"      db_name: {parts.path.lstrip('/')}\n"
        f"      port: {parts.port}\n"
        # SQLAlchemy 2.1 reads a bare postgresql:// with psycopg 3, which dagster-postgres does not install:
        # the driver it does install (psycopg2-binary), named
        "      scheme: postgresql+psycopg2\n"
    )
    home.mkdir(parents=True, exist_ok=True)
    path = home / "dagster.yaml"
    path.write_text(storage + extra_yaml)
    return path


def _wait_until_up(url: str, process: subprocess.Popen, log: Path) -> None:
    import psycopg2

    wait_until_up(
        f"postgres at {url}", lambda: _connect(url).close(), process, log, not_yet=(psycopg2.OperationalError,)
    )


def _stop_with_parent() -> None:
    """In the server's process before it starts: an interrupt ("fast" shutdown) when the test process dies
    without its fixture's teardown (killed), so no server outlives the session (Linux's PR_SET_PDEATHSIG)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGINT)  # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: teardown alone stops it


def _as(user: pwd.struct_passwd | None) -> dict:
    return {} if user is None else {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The URL of a database on a PostgreSQL server running for the whole session."""
    bin_dir, user = find_bin_dir(), _os_user()
    # not under pytest's temporary folders: those are readable by root only, and the server runs as `user`
    root = Path(tempfile.mkdtemp(prefix="sacnn-postgres-"))
    data, log = root / "data", root / "server.log"
    if user is not None:
        os.chown(root, user.pw_uid, user.pw_gid)
    env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
    process = None
    try:
        password_file = root / "password"
        password_file.write_text(PASSWORD + "\n")
        if user is not None:
            os.chown(password_file, user.pw_uid, user.pw_gid)
        initdb = subprocess.run(
            [str(bin_dir / "initdb"), "-D", str(data), "-U", USER, f"--pwfile={password_file}"]
            + ["--auth=scram-sha-256", "--encoding=UTF8", "--locale=C", "--no-sync"],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            **_as(user),
        )
        password_file.unlink()
        if initdb.returncode != 0:
            raise RuntimeError(f"initdb failed ({initdb.returncode}):\n{initdb.stdout[-2000:]}{initdb.stderr[-2000:]}")

        port = free_port()
        settings = [arg for key, value in SERVER_SETTINGS.items() for arg in ("-c", f"{key}={value}")]
        with log.open("wb") as out:
            process = subprocess.Popen(
                [str(bin_dir / "postgres"), "-D", str(data), "-p", str(port), "-k", str(root), *settings],
                cwd=root,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                preexec_fn=_stop_with_parent,
                **_as(user),
            )
        server = f"postgresql://{USER}:{PASSWORD}@127.0.0.1:{port}/postgres"
        _wait_until_up(server, process, log)
        yield create_database(server, DATABASE)
    finally:
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGINT)  # "fast" shutdown: clients disconnected, no waiting for them
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(root, ignore_errors=True)


@dataclass(frozen=True)
class PostgresDB:
    url: str

    @property
    def name(self) -> str:
        return urlsplit(self.url).path.lstrip("/")

    def write_dagster_yaml(self, home: Path, extra_yaml: str = "") -> Path:
        return write_dagster_yaml(home, self.url, extra_yaml)


@pytest.fixture
def postgres_db(postgres_url, monkeypatch) -> PostgresDB:
    """A new empty database on the session's server, for one test's Dagster instance (no runs of other
    tests in it); the password in $DAGSTER_PG_PASSWORD, where the instance (and a daemon started from this
    environment) reads it."""
    monkeypatch.setenv(PASSWORD_ENV, urlsplit(postgres_url).password)
    return PostgresDB(create_database(postgres_url, f"test_{uuid.uuid4().hex[:12]}"))
