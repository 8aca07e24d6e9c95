"""The dagster-daemon that executes a backfill: the one already heartbeating for the instance, or one started
for the duration of the command (`DaemonForInstance`) and stopped afterwards. The one started here runs
`serve_daemon` in a process of its own (`python -m sacnn_dagster.cli.backfill`, see `__main__.py`): Dagster's
backfill iteration every `BACKFILL_TICK_S` seconds and its run-queue daemon, no sensors or schedules."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import dagster as dg

from sacnn_dagster.defs.dagster_private import (
    IntervalDaemon,
    ModuleTarget,
    QueuedRunCoordinatorDaemon,
    capture_interrupts,
    daemon_controller_from_instance,
    execute_backfill_iteration,
    setup_interrupt_handlers,
)

#: What the daemon's process runs: this package's `__main__.py`, which calls `serve_daemon`.
DAEMON_MODULE = "sacnn_dagster.cli.backfill"
#: The code location as `workspace.yaml` names it, so that runs launched by our daemon belong to the same
#: location as in `dagster dev`.
LOCATION_NAME = "sacnn_dagster"
#: Seconds between two looks of the backfill daemon we start. Dagster's own daemon looks every 30 s (a
#: constant, not a setting), and a backfill is four stages in a row (features, model, estimates, evaluation):
#: on the small demo that made 102 s of overhead against 30 s with a look every 2 s
#: (benchmarks/backfill_overhead.py).
BACKFILL_TICK_S = 2
#: Seconds between two looks of the run queue in the daemon we start (Dagster's default is 5).
DEQUEUE_INTERVAL_S = 1
#: A daemon heartbeats every 30 s; one silent for longer than this is not running.
HEARTBEAT_STALE_S = 75
#: Seconds the daemon's processes get to stop after an interrupt, before they are killed.
STOP_TIMEOUT_S = 60
#: The same when the command itself was stopped (SIGTERM, Ctrl-C): a run's monthly step turns an interrupt
#: into a retry 10 s later, so waiting for the run to end would take minutes. Killing is safe: every write is
#: atomic and a model folder counts only with its manifest; the runs are then marked canceled (cancel.py).
STOP_ON_SIGNAL_S = 5


class DaemonStopped(RuntimeError):
    """The dagster-daemon started for a backfill exited before the backfill ended."""


def signal_group(group: int, signum: int) -> bool:
    """Send `signum` to a process group; False when no process is left in it (0 only asks)."""
    try:
        os.killpg(group, signum)
    except ProcessLookupError:
        return False
    return True


class DaemonForInstance:
    """Makes sure a dagster-daemon executes the instance's backfills while this process follows one: if none
    has heartbeated lately, starts one (`python -m sacnn_dagster.cli.backfill`: `serve_daemon`) for the
    region, and stops it on exit. Use as a context manager."""

    def __init__(
        self,
        instance: dg.DagsterInstance,
        region_dir: Path,
        storage_root: str,
        echo: Callable[[str], None],
        location_env: dict[str, str] | None = None,
    ):
        """`location_env`: the environment that makes `sacnn_dagster.definitions` serve the region (a catalogue's
        region: CatalogueRegion.environment()); by default the region folder alone."""
        self.instance = instance
        self.env = {
            # $SACNN_REGIONS (the default of --regions) would make the daemon's code location a catalogue's
            **{key: value for key, value in os.environ.items() if key not in ("SACNN_REGIONS", "SACNN_STORAGE")},
            "DAGSTER_HOME": instance.root_directory,
            **(location_env or {"SACNN_REGION": str(region_dir), "SACNN_STORAGE": storage_root}),
        }
        self.echo = echo
        self.process: subprocess.Popen | None = None
        #: Whether a daemon was started here (its runs die with it when it is stopped).
        self.started = False
        self.log: Path | None = None
        self.told = False

    def __enter__(self) -> DaemonForInstance:
        return self

    def __exit__(self, exc_type, *exc) -> None:
        stopped = exc_type is not None and issubclass(exc_type, KeyboardInterrupt)
        self.stop(STOP_ON_SIGNAL_S if stopped else STOP_TIMEOUT_S)

    def heartbeating(self) -> bool:
        beat = self.instance.get_daemon_heartbeats().get("BACKFILL")
        return beat is not None and time.time() - beat.timestamp < HEARTBEAT_STALE_S

    def ensure(self) -> None:
        if self.process is None:
            if not self.heartbeating():
                self.start()
            elif not self.told:
                self.echo(
                    "A dagster-daemon is running for this instance: it executes the backfill with the region "
                    "and storage its code location serves ($SACNN_REGION and $SACNN_STORAGE of `dagster dev`)"
                )
                self.told = True
        elif self.process.poll() is not None:
            tail = self.log.read_text(errors="replace")[-3000:] if self.log else ""
            self.process = None
            raise DaemonStopped(f"the dagster-daemon started for the backfill stopped; its last words:\n{tail}")

    def start(self) -> None:
        with tempfile.NamedTemporaryFile("w", prefix="sacnn-backfill-daemon-", suffix=".log", delete=False) as out:
            self.log = Path(out.name)
            self.started = True
            self.process = subprocess.Popen(
                [sys.executable, "-m", DAEMON_MODULE],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                # its own process group, with the code server and the runs it starts: stopped together
                start_new_session=True,
            )
        self.echo(
            f"No dagster-daemon is running for this instance: started one (pid {self.process.pid}, "
            f"log {self.log}) until the backfill ends"
        )

    def stop(self, grace_s: float = STOP_TIMEOUT_S) -> None:
        """Interrupt the daemon's process group (Dagster's processes shut down cleanly on an interrupt) and
        wait until it is gone: the daemon's code server would otherwise wait for heartbeats a while, and
        a run still in progress (the command was interrupted) would go on without anyone to follow it."""
        if self.process is None:
            return
        group = self.process.pid
        signal_group(group, signal.SIGINT)
        deadline = time.monotonic() + grace_s
        while self.process.poll() is None or signal_group(group, 0):
            if time.monotonic() > deadline:
                signal_group(group, signal.SIGKILL)
            time.sleep(0.5)
        self.process = None
        # Its last heartbeat would pass for a running daemon for a while: the next command would wait on it.
        self.instance.wipe_daemon_heartbeats()
        if self.log:
            self.log.unlink(missing_ok=True)


class QuickBackfillDaemon(IntervalDaemon):
    """Dagster's own backfill iteration, every `BACKFILL_TICK_S` seconds: Dagster's `BackfillDaemon` waits a
    fixed 30 s between looks, and a backfill is four stages in a row."""

    @classmethod
    def daemon_type(cls) -> str:
        return "BACKFILL"

    def run_iteration(self, workspace_process_context):
        yield from execute_backfill_iteration(workspace_process_context, self._logger)


def serve_daemon() -> None:
    """The daemon `DaemonForInstance` starts: a backfill daemon and Dagster's run-queue daemon (no sensors or
    schedules: this process exists for one backfill), on the code location of $SACNN_REGION, looking every
    `BACKFILL_TICK_S` seconds."""

    def daemons(instance: dg.DagsterInstance) -> list:
        out = [QuickBackfillDaemon(interval_seconds=BACKFILL_TICK_S)]
        if QueuedRunCoordinatorDaemon.daemon_type() in instance.get_required_daemon_types():
            out.append(QueuedRunCoordinatorDaemon(interval_seconds=DEQUEUE_INTERVAL_S))
        return out

    setup_interrupt_handlers()
    target = ModuleTarget("sacnn_dagster.definitions", None, os.getcwd(), LOCATION_NAME)
    try:
        with (
            capture_interrupts(),
            dg.DagsterInstance.get() as instance,
            daemon_controller_from_instance(
                instance, workspace_load_target=target, gen_daemons=daemons, log_level="info"
            ) as daemon_controller,
        ):
            daemon_controller.check_daemon_loop()
    except KeyboardInterrupt:
        return
