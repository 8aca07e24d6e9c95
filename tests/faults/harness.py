"""What the fault-injection tests share: starting `sacnn-dagster run` as a user would (its own process, its
own instance), waiting in the storage for a chosen file to appear, and the digests of what a reader sees."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg

SCRIPT = shutil.which("sacnn-dagster", path=str(Path(sys.executable).parent)) or "sacnn-dagster"
SLOW_WRITES = Path(__file__).parent / "slow_writes"
#: Seconds a run may take to reach a chosen point on a loaded 2-core machine.
REACH_TIMEOUT_S = 240


def start_run(region: Path, storage: Path, home: Path, slow: str | None = None) -> subprocess.Popen:
    """`sacnn-dagster run` of the whole region in a process of its own; with `slow`, every write whose path
    matches that regular expression is slowed (slow_writes/sitecustomize.py), so that a kill lands inside
    the step writing them."""
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    env.pop("SACNN_TEST_SLOW_WRITES", None)
    if slow:
        env["SACNN_TEST_SLOW_WRITES"] = slow
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SLOW_WRITES), env.get("PYTHONPATH")) if p)
    return subprocess.Popen(
        [SCRIPT, "run", "--region", str(region), "--storage", str(storage)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for_file(storage: Path, pattern: str, since: float, process: subprocess.Popen) -> Path:
    """The first file under `storage` matching the glob `pattern` written after `since` (a rerun rewrites
    files that exist); fails if the run ends first."""
    deadline = time.monotonic() + REACH_TIMEOUT_S
    while time.monotonic() < deadline:
        for path in storage.glob(pattern):
            if path.is_file() and path.stat().st_mtime >= since:
                return path
        if process.poll() is not None:
            raise AssertionError(f"the run ended before writing {pattern}:\n{process.stdout.read()[-3000:]}")
        time.sleep(0.02)
    raise AssertionError(f"no {pattern} under {storage} after {REACH_TIMEOUT_S} s")


def visible_digests(root: Path) -> dict[str, str]:
    """sha256 of every file a reader sees (hidden names are temporary files of writes in progress, never read)."""
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(root).parts)
    }


def run_statuses(home: Path) -> dict[str, dg.DagsterRunStatus]:
    """Every run of the instance in `home`, by id: its status."""
    with dg.DagsterInstance.from_config(str(home)) as instance:
        return {run.run_id: run.status for run in instance.get_runs()}
