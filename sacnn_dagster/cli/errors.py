"""Failures as the terminal tells them: the user code's own message, in one line."""

from __future__ import annotations

import re
from dataclasses import dataclass


def one_line(text: str) -> str:
    """`text` with its lines joined by spaces: one failure, one line on the terminal."""
    return " ".join(line.strip() for line in text.strip().splitlines() if line.strip())


def _unwrapped(error):
    """The user code's error inside Dagster's wrappers of a step failure."""
    while error.cause is not None and (error.cls_name or "").startswith("Dagster"):
        error = error.cause
    return error


def user_error(error) -> str:
    """The message of the user-code error (which names the bad input) in a step failure's error, not of
    Dagster's wrapper around it; in one line."""
    error = _unwrapped(error)
    # Raised on purpose (a Failure's description; bad input, whose message starts with the file): the message
    # is complete after the class path, which would only stand between the user and the file's name.
    if error.cls_name in ("Failure", "BadInput"):
        return one_line(error.message.split(": ", 1)[-1])
    return one_line(error.message)


@dataclass(frozen=True)
class StepError:
    """A failed step: its key, the class name of the user code's error (what kind of failure it is) and
    its message in one line."""

    step: str
    kind: str
    message: str

    def __str__(self) -> str:
        return f"{self.step}: {self.message}"

    @property
    def plain(self) -> str:
        """'step: message' without the error's class path in front of the message."""
        class_path = r"^([\w.]+\.)?" + re.escape(self.kind) + ": "
        return f"{self.step}: {re.sub(class_path, '', self.message)}"


def step_failures(result) -> list[StepError]:
    """Each failed step of an in-process run (see `user_error`)."""
    return [
        StepError(
            event.step_key,
            _unwrapped(event.step_failure_data.error).cls_name or "",
            user_error(event.step_failure_data.error),
        )
        for event in result.all_events
        if event.is_step_failure and event.step_failure_data.error is not None
    ]


def step_errors(result) -> list[str]:
    """'step: message' for each failed step of an in-process run (see `user_error`)."""
    return [str(error) for error in step_failures(result)]
