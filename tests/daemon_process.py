"""A real `dagster-daemon run` for the tests: on a workspace that loads `sacnn_dagster.definitions` (the code
location as `make ui` serves it), in its own process group so that stopping it stops its code server and run
workers and nothing else, its output in a log file the failures quote."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]
DAEMON = Path(sys.executable).parent / "dagster-daemon"


def start_daemon(folder: Path, env: dict[str, str | None], log: Path) -> subprocess.Popen:
    """The daemon, with `env` (DAGSTER_HOME, SACNN_REGION or SACNN_REGIONS...; None: unset) over this process's
    environment, its workspace file written in `folder`."""
    workspace = folder / "workspace.yaml"
    workspace.write_text(
        "load_from:\n  - python_module:\n      module_name: sacnn_dagster.definitions\n"
        f"      working_directory: {ROOT}\n      location_name: sacnn_dagster\n"
    )
    with log.open("a") as out:
        return subprocess.Popen(
            [str(DAEMON), "run", "-w", str(workspace)],
            cwd=folder,
            env={k: v for k, v in {**os.environ, **env}.items() if v is not None},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop_daemon(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
