"""`sacnn-dagster backfill`: a real Dagster asset backfill, launched and followed from the command line.

The backfill is added to the instance the way the UI's "Materialize all" adds one (the GraphQL mutation
`launchPartitionBackfill` ends in the same `PartitionBackfill` + `instance.add_backfill`; Dagster has no
public Python API for it), so the UI's backfills page lists it, and a dagster-daemon executes it: the one
already heartbeating for the instance, or one started here for the duration of the command and stopped
afterwards.

One bad month does not sink the backfill. Its monthly step writes every other month and fails naming the
bad one (defs/assets/monthly.py). Dagster then counts everything downstream of that month as failed, the model
included (it learns from every month), so the command launches a second backfill with what is left,
without the failed months, and names them: each can be run again alone once its input is fixed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import dagster as dg

from sacnn_dagster.cli.run import months_with_composite, user_error
from sacnn_dagster.config.region import load_region
from sacnn_dagster.defs.assets.monthly import FAILED_MONTHS
from sacnn_dagster.defs.code_location import build_definitions, default_storage_root
from sacnn_dagster.defs.dagster_private import (
    BACKFILL_ID_TAG,
    BULK_ACTION_TERMINAL_STATUSES,
    NOT_FINISHED_STATUSES,
    AssetGraphSubset,
    AssetKeyPartitionKey,
    BulkActionStatus,
    IntervalDaemon,
    ModuleTarget,
    PartitionBackfill,
    QueuedRunCoordinatorDaemon,
    capture_interrupts,
    daemon_controller_from_instance,
    execute_backfill_iteration,
    make_new_backfill_id,
    setup_interrupt_handlers,
)

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
#: Seconds between two looks at the backfill while following it.
POLL_S = 1.0
#: How a backfill's end is told.
STATUS_WORDS = {
    BulkActionStatus.COMPLETED_SUCCESS: "done",
    BulkActionStatus.COMPLETED_FAILED: "done, with failures",
    BulkActionStatus.FAILED: "failed",
    BulkActionStatus.CANCELED: "canceled",
}
#: Tag on every backfill launched here, for the UI's filters.
LAUNCHED_BY_TAG = "sacnn/launched_by"


class DaemonStopped(RuntimeError):
    """The dagster-daemon started for a backfill exited before the backfill ended."""


@dataclass
class BackfillOutcome:
    """How one backfill ended."""

    backfill_id: str
    status: BulkActionStatus
    #: What it materialized (asset key and month, or None for an unpartitioned asset).
    materialized: set[AssetKeyPartitionKey]
    #: month -> "asset: cause" for the months a monthly step failed on.
    failed_months: dict[str, str]
    #: Failures not tied to a month: a whole step or run, or the backfill itself.
    errors: list[str]


@dataclass
class BackfillReport:
    months: list[str]
    months_without_composite: list[str]
    backfills: list[BackfillOutcome] = field(default_factory=list)
    #: Months of which every monthly asset was materialized.
    months_done: list[str] = field(default_factory=list)

    @property
    def failed_months(self) -> dict[str, str]:
        return {m: cause for b in self.backfills for m, cause in b.failed_months.items()}

    @property
    def errors(self) -> list[str]:
        return [e for b in self.backfills for e in b.errors]

    @property
    def ok(self) -> bool:
        return (
            bool(self.backfills)
            and self.backfills[-1].status == BulkActionStatus.COMPLETED_SUCCESS
            and not (self.failed_months or self.errors)
        )


def target_subset(asset_graph, months: list[str], skip: set[AssetKeyPartitionKey]) -> AssetGraphSubset:
    """Every asset for `months` (the unpartitioned ones once), less the asset partitions in `skip`."""
    by_key = {}
    plain = set()
    for key in asset_graph.materializable_asset_keys:
        partitions_def = asset_graph.get(key).partitions_def
        if partitions_def is None:
            if AssetKeyPartitionKey(key) not in skip:
                plain.add(key)
            continue
        keep = [m for m in months if AssetKeyPartitionKey(key, m) not in skip]
        if keep:
            by_key[key] = partitions_def.subset_with_partition_keys(keep)
    return AssetGraphSubset(partitions_subsets_by_asset_key=by_key, non_partitioned_asset_keys=plain)


def launch_backfill(instance: dg.DagsterInstance, asset_graph, subset: AssetGraphSubset, title: str) -> str:
    """Add an asset backfill of `subset` to the instance; returns its id. A daemon executes it."""
    now = time.time()
    with dg.partition_loading_context(datetime.fromtimestamp(now, tz=UTC), instance):
        backfill = PartitionBackfill.from_asset_graph_subset(
            backfill_id=make_new_backfill_id(),
            backfill_timestamp=now,
            tags={LAUNCHED_BY_TAG: "sacnn-dagster backfill"},
            dynamic_partitions_store=instance,
            asset_graph_subset=subset,
            title=title,
            description=None,
            run_config=None,
        )
    instance.add_backfill(backfill)
    return backfill.backfill_id


class ProgressBar:
    """One line on `stream`: redrawn in place on a terminal, printed again when it changes otherwise."""

    WIDTH = 30

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.tty = stream.isatty()
        self.started = time.monotonic()
        self.last = ""

    def update(self, done: int, failed: int, total: int, runs: int) -> None:
        filled = round(self.WIDTH * done / total) if total else self.WIDTH
        bad = min(self.WIDTH - filled, round(self.WIDTH * failed / total)) if total else 0
        bar = "#" * filled + "x" * bad + "." * (self.WIDTH - filled - bad)
        text = f"[{bar}] {done}/{total} asset partitions {100 * done // max(total, 1):3d}%"
        if failed:
            text += f", {failed} failed or downstream of a failure"
        text += f", {runs} run(s) in progress"
        if self.tty:
            elapsed = int(time.monotonic() - self.started)
            self.stream.write(f"\r{text}  {elapsed // 60}:{elapsed % 60:02d} ")
        elif text != self.last:
            self.stream.write(text + "\n")
        self.stream.flush()
        self.last = text

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


def follow(
    instance: dg.DagsterInstance, asset_graph, backfill_id: str, bar: ProgressBar, daemon: DaemonForInstance
) -> BackfillOutcome:
    """Watch the backfill until it ends, keeping a daemon on it; how it ended."""
    while True:
        daemon.ensure()
        backfill = instance.get_backfill(backfill_id)
        data = backfill.get_asset_backfill_data(asset_graph)
        in_progress = instance.get_runs_count(
            dg.RunsFilter(tags={BACKFILL_ID_TAG: backfill_id}, statuses=NOT_FINISHED_STATUSES)
        )
        bar.update(
            data.materialized_subset.num_partitions_and_non_partitioned_assets,
            data.failed_and_downstream_subset.num_partitions_and_non_partitioned_assets,
            data.target_subset.num_partitions_and_non_partitioned_assets,
            in_progress,
        )
        if backfill.status in BULK_ACTION_TERMINAL_STATUSES:
            bar.close()
            failed_months, errors = backfill_failures(instance, backfill)
            return BackfillOutcome(
                backfill_id,
                backfill.status,
                set(data.materialized_subset.iterate_asset_partitions()),
                failed_months,
                errors,
            )
        time.sleep(POLL_S)


def backfill_failures(instance: dg.DagsterInstance, backfill: PartitionBackfill) -> tuple[dict[str, str], list[str]]:
    """(month -> "asset: cause", other failures) of a finished backfill, from its failed runs' step
    failures: a monthly step names its failed months in the failure's metadata."""
    failed_months: dict[str, str] = {}
    errors = [f"backfill {backfill.backfill_id}: {backfill.error.message.strip()}"] if backfill.error else []
    runs = instance.get_runs(
        dg.RunsFilter(
            tags={BACKFILL_ID_TAG: backfill.backfill_id},
            statuses=[dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED],
        )
    )
    for run in runs:
        steps = instance.get_records_for_run(run.run_id, of_type=dg.DagsterEventType.STEP_FAILURE).records
        for record in steps:
            event = record.event_log_entry.dagster_event
            user = event.step_failure_data.user_failure_data
            months = user.metadata.get(FAILED_MONTHS) if user else None
            if months is not None:
                failed_months.update({m: f"{event.step_key}: {cause}" for m, cause in months.value.items()})
            else:
                errors.append(f"{event.step_key} (run {run.run_id}): {user_error(event.step_failure_data.error)}")
        if not steps:
            errors.append(f"run {run.run_id} {run.status.value.lower()}: see its log in the UI")
    return failed_months, errors


def signal_group(group: int, signum: int) -> bool:
    """Send `signum` to a process group; False when no process is left in it (0 only asks)."""
    try:
        os.killpg(group, signum)
    except ProcessLookupError:
        return False
    return True


class DaemonForInstance:
    """Makes sure a dagster-daemon executes the instance's backfills while this process follows one: if none
    has heartbeated lately, starts one (`python -m sacnn_dagster.cli.backfill`, Dagster's backfill and run-queue
    daemons) for the region, and stops it on exit. Use as a context manager."""

    def __init__(self, instance: dg.DagsterInstance, region_dir: Path, storage_root: str, echo: Callable[[str], None]):
        self.instance = instance
        self.env = {
            **os.environ,
            "DAGSTER_HOME": instance.root_directory,
            "SACNN_REGION": str(region_dir),
            "SACNN_STORAGE": storage_root,
        }
        self.echo = echo
        self.process: subprocess.Popen | None = None
        self.log: Path | None = None
        self.told = False

    def __enter__(self) -> DaemonForInstance:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

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
            self.process = subprocess.Popen(
                [sys.executable, "-m", "sacnn_dagster.cli.backfill"],
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

    def stop(self) -> None:
        """Interrupt the daemon's process group (Dagster's processes shut down cleanly on an interrupt) and
        wait until it is gone: the daemon's code server would otherwise wait for heartbeats a while, and
        a run still in progress (the command was interrupted) would go on without anyone to follow it."""
        if self.process is None:
            return
        group = self.process.pid
        signal_group(group, signal.SIGINT)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while self.process.poll() is None or signal_group(group, 0):
            if time.monotonic() > deadline:
                signal_group(group, signal.SIGKILL)
            time.sleep(0.5)
        self.process = None
        # Its last heartbeat would pass for a running daemon for a while: the next command would wait on it.
        self.instance.wipe_daemon_heartbeats()
        if self.log:
            self.log.unlink(missing_ok=True)


def backfill_region(
    region_dir: str | os.PathLike,
    start: str | None = None,
    end: str | None = None,
    storage_root: str | None = None,
    instance: dg.DagsterInstance | None = None,
    echo: Callable[[str], None] = print,
    progress: TextIO = sys.stderr,
) -> BackfillReport:
    """Backfill every asset of the region for the months from `start` to `end` that have a composite, as
    Dagster asset backfills executed by a daemon; carry on without the months that fail (see the module
    docstring)."""
    region_dir = Path(region_dir).resolve()
    root = storage_root or default_storage_root(load_region(region_dir).name)
    # the daemon and its runs are other processes, maybe in another folder: a local root must be absolute
    root = root if root.startswith("s3://") else str(Path(root).resolve())
    instance = instance or dg.DagsterInstance.get()
    defs = build_definitions(region_dir, root)
    asset_graph = defs.resolve_asset_graph()
    months, missing = months_with_composite(defs, start, end)
    report = BackfillReport(months, missing)
    if missing:
        echo(f"No composite yet for {len(missing)} month(s), left out: {', '.join(missing)}")
    if not months:
        raise ValueError("no month in that range has a composite: nothing to backfill")
    done: set[AssetKeyPartitionKey] = set()
    with DaemonForInstance(instance, region_dir, root, echo) as daemon:
        daemon.ensure()  # before launching: the daemon takes seconds to start, the launch does not
        title = f"sacnn-dagster backfill {months[0]}..{months[-1]}"
        while True:
            subset = target_subset(asset_graph, [m for m in months if m not in report.failed_months], done)
            if subset.is_empty:
                break
            backfill_id = launch_backfill(instance, asset_graph, subset, title)
            echo(
                f"Backfill {backfill_id} ({title}): {subset.num_partitions_and_non_partitioned_assets} asset "
                "partitions; the UI shows it under Overview > Backfills"
            )
            outcome = follow(instance, asset_graph, backfill_id, ProgressBar(progress), daemon)
            new_failures = {m: c for m, c in outcome.failed_months.items() if m not in report.failed_months}
            report.backfills.append(outcome)
            done |= outcome.materialized
            echo(
                f"Backfill {backfill_id}: {STATUS_WORDS.get(outcome.status, outcome.status.value.lower())}"
                + (f"; failed month(s): {', '.join(sorted(new_failures))}" if new_failures else "")
            )
            if outcome.status != BulkActionStatus.COMPLETED_FAILED or not new_failures or outcome.errors:
                break
            without = ", ".join(sorted(report.failed_months))
            title = f"sacnn-dagster backfill {months[0]}..{months[-1]} without {without}"
            echo("Carrying on with the other months in a new backfill")
    monthly = [key for key in asset_graph.materializable_asset_keys if asset_graph.get(key).partitions_def]
    report.months_done = [m for m in months if all(AssetKeyPartitionKey(key, m) in done for key in monthly)]
    return report


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


if __name__ == "__main__":
    serve_daemon()
