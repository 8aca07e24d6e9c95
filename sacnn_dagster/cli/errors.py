"""Failures as the terminal tells them: the user code's own message, in one line."""

from __future__ import annotations


def one_line(text: str) -> str:
    """`text` with its lines joined by spaces: one failure, one line on the terminal."""
    return " ".join(line.strip() for line in text.strip().splitlines() if line.strip())


def user_error(error) -> str:
    """The message of the user-code error (which names the bad input) in a step failure's error, not of
    Dagster's wrapper around it; in one line."""
    while error.cause is not None and (error.cls_name or "").startswith("Dagster"):
        error = error.cause
    if error.cls_name == "Failure":  # raised on purpose: its description is the message, after the class path
        return one_line(error.message.split(": ", 1)[-1])
    return one_line(error.message)


def step_errors(result) -> list[str]:
    """'step: message' for each failed step of an in-process run (see `user_error`)."""
    return [
        f"{event.step_key}: {user_error(event.step_failure_data.error)}"
        for event in result.all_events
        if event.is_step_failure and event.step_failure_data.error is not None
    ]
