"""What every test server shares: a free loopback port, and waiting until the server answers (or telling why
it never will, with the end of its log)."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

START_TIMEOUT_S = 30


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(
    name: str,
    answers: Callable[[], object],
    process: subprocess.Popen,
    log: Path,
    not_yet: tuple[type[BaseException], ...] = (OSError,),
    timeout_s: float = START_TIMEOUT_S,
) -> None:
    """Until `answers()` returns without one of the `not_yet` errors; a server that exits or stays silent for
    `timeout_s` raises with its log's end."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            answers()
            return
        except not_yet:
            time.sleep(0.1)
    raise RuntimeError(f"{name} did not answer within {timeout_s} s:\n{log.read_text()[-3000:]}")


def stop(process: subprocess.Popen, grace_s: float = 10) -> None:
    """Asks the server to stop; kills it if it has not after `grace_s`."""
    process.terminate()
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
