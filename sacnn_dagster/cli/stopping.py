"""Stopping on SIGTERM or Ctrl-C, promptly and cleanly.

`timeout`, systemd and Kubernetes stop a process with SIGTERM, a person with Ctrl-C (SIGINT); both must
end `run` and `backfill` within seconds, with no new month started.

Outside a Dagster run (`backfill` follows its backfill from outside), `install`'s handler raises
`KeyboardInterrupt` at once, for both signals. Inside an in-process run, Dagster's own handler takes the
signal, and it does not stop: a step with a retry policy (every monthly step retries transient errors)
turns the interrupt into a retry 10 s later, and the in-process executor never looks for interrupts
between steps, so the run went on redoing months for minutes. Hence a watcher (`install` with
`hard_stop_after`): every signal's number also reaches a pipe (`signal.set_wakeup_fd`), whichever
handler took it; if the command has not ended `hard_stop_after` seconds after a stop signal, the
watcher runs the registered action (`run` marks its runs in progress CANCELED) and ends the process.
That is safe because every file is written atomically (a hidden temporary name, then a rename; a step
interrupted in its own code removes its temporary file) and a model folder counts only once its
manifest is written: a hard stop leaves what a `kill -9` would, which the next run handles, minus the
runs left STARTED. `raise_if_interrupted` stops the command after a run that a stop signal ended or
came during, so that no further month or job starts.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType

#: Exit status of a command stopped by a signal: 128 + its number, as a shell reports it.
SIGNAL_EXIT_BASE = 128
#: Seconds `run` gets to end by itself after a stop signal before the watcher ends it.
HARD_STOP_AFTER_S = 3.0
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

#: What an interrupted step or run fails with, among its events' errors.
INTERRUPT_ERRORS = frozenset({"DagsterExecutionInterruptedError", "KeyboardInterrupt"})

_state: dict = {"signal": None, "action": None}


class Stopped(KeyboardInterrupt):
    """The command was asked to stop (SIGTERM or SIGINT) while a Dagster run was in progress."""

    def __init__(self, run_id: str) -> None:
        super().__init__(f"stopped by a signal during Dagster run {run_id}")
        self.run_id = run_id


def _handler(signum: int, _frame: FrameType | None) -> None:
    _state["signal"] = signum
    raise KeyboardInterrupt(signal.Signals(signum).name)


def install(hard_stop_after: float | None = None) -> None:
    """SIGTERM as SIGINT: both raise `KeyboardInterrupt` (Dagster's runs restore this handler after them);
    with `hard_stop_after`, the watcher that ends the process that long after a stop signal (see the
    module's docstring)."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, _handler)
    if hard_stop_after is None:
        return
    read, write = os.pipe()
    os.set_blocking(write, False)
    signal.set_wakeup_fd(write, warn_on_full_buffer=False)
    threading.Thread(target=_watch, args=(read, hard_stop_after), name="sacnn-stop-watcher", daemon=True).start()


def on_hard_stop(action: Callable[[str], None] | None) -> None:
    """What the watcher does before it ends the process (given the signal's name); None for nothing."""
    _state["action"] = action


def _watch(pipe: int, grace: float) -> None:
    while True:
        numbers = os.read(pipe, 64)
        stops = [n for n in numbers if n in STOP_SIGNALS]
        if stops:
            break
    _state["signal"] = _state["signal"] or stops[0]
    time.sleep(grace)
    name = signal.Signals(_state["signal"]).name
    action = _state["action"]
    try:
        if action is not None:
            action(name)
    finally:
        print(
            f"Stopped by {name}; every file written is complete: run the same command again to carry on",
            file=sys.stderr,
        )
        sys.stderr.flush()
        sys.stdout.flush()
        os._exit(exit_status())


def signal_received() -> int | None:
    """The stop signal received so far (SIGINT or SIGTERM), whichever handler took it; None if none."""
    return _state["signal"]


def exit_status() -> int:
    """The status to exit with after a stop: 128 + the signal received (SIGINT when unknown)."""
    return SIGNAL_EXIT_BASE + int(signal_received() or signal.SIGINT)


def was_interrupted(result) -> bool:
    """Whether an in-process run ended because its process was interrupted, not because a step failed."""
    for event in result.all_events:
        data = event.event_specific_data
        error = getattr(data, "error", None)
        if event.is_step_failure or event.is_failure or event.event_type_value == "PIPELINE_CANCELED":
            while error is not None:
                if error.cls_name in INTERRUPT_ERRORS:
                    return True
                error = error.cause
        reason = getattr(data, "failure_reason", None)
        if reason is not None and getattr(reason, "value", reason) == "UNEXPECTED_TERMINATION":
            return True
    return False


def raise_if_interrupted(result) -> None:
    """Raise `Stopped` when the in-process run `result` was interrupted, or a stop signal came during it
    (Dagster's handler may only note it, and the run then ends normally)."""
    if was_interrupted(result) or signal_received() is not None:
        raise Stopped(result.run_id)
