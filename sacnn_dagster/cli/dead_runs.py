"""Runs whose process died: marked failed, so that no run stays STARTED forever after a `kill -9`.

Dagster's run monitoring (`run_monitoring` in dagster.yaml, see cli/run.py) watches the runs a daemon
launches, but `sacnn-dagster run` executes its runs in its own process (`execute_in_process`), which no
daemon watches, and Dagster's default run launcher cannot tell whether a worker is alive. So each run
of the command carries a tag naming its process (`PROCESS_TAG`: host, pid and the process's start
time, so that a recycled pid is not taken for the dead process), and the next command marks failed
every run still in progress whose process is gone on this host.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import dagster as dg

#: Tag on every run `sacnn-dagster run` executes: `host:pid:start time` of the process executing it.
PROCESS_TAG = "sacnn/process"

IN_PROGRESS = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]


def _start_time(pid: int) -> str:
    """The process's start time in clock ticks since boot (/proc), or "" where /proc is missing."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[1].split()[19]


def this_process() -> str:
    """The `PROCESS_TAG` value for the current process."""
    return f"{socket.gethostname()}:{os.getpid()}:{_start_time(os.getpid())}"


def process_alive(tag: str) -> bool | None:
    """Whether the process a `PROCESS_TAG` value names is alive; None when it ran on another host."""
    host, pid_text, started = tag.rsplit(":", 2)
    if host != socket.gethostname():
        return None
    pid = int(pid_text)
    if pid == os.getpid():
        return tag == this_process()
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return _start_time(pid) == started


def fail_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark failed every run still in progress whose process (this host's) is gone; their ids."""
    failed = []
    for record in instance.get_run_records(dg.RunsFilter(statuses=IN_PROGRESS)):
        run = record.dagster_run
        tag = run.tags.get(PROCESS_TAG)
        if tag and process_alive(tag) is False:
            instance.report_run_failed(
                run, f"the process executing this run ({tag}) died before the run ended (killed or crashed)"
            )
            failed.append(run.run_id)
    return failed


def cancel_own_runs(instance: dg.DagsterInstance, reason: str) -> list[str]:
    """Mark CANCELED every run still in progress that this process executes (a stop signal ends it); their
    ids."""
    me = this_process()
    canceled = []
    for record in instance.get_run_records(dg.RunsFilter(statuses=IN_PROGRESS, tags={PROCESS_TAG: me})):
        instance.report_run_canceled(record.dagster_run, f"stopped by {reason}: the command was asked to stop")
        canceled.append(record.dagster_run.run_id)
    return canceled
