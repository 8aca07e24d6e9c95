"""Delivering one alert: a JSON POST of `{"text": ...}` (what Slack, Microsoft Teams and Mattermost incoming
webhooks accept), retried with a growing pause, and an outcome that never contains the address: a webhook
URL is a secret (whoever holds it can post to the channel), so neither the outcome nor anything logged from
it may carry it, nor the text of an exception (urllib's name the URL)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

#: Tries per message, and the pause before each retry (seconds).
RETRY_PAUSES_S = (1.0, 3.0)
TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Delivery:
    """How posting one message went: delivered or not, after how many tries, and why not in words that name
    no address (an HTTP status or the kind of network error)."""

    delivered: bool
    tries: int
    problem: str = ""


def _problem(error: Exception) -> str:
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code}"
    if isinstance(error, urllib.error.URLError):
        reason = error.reason
        return f"network error ({type(reason).__name__})" if isinstance(reason, Exception) else "network error"
    return type(error).__name__


def post_text(
    url: str,
    text: str,
    pauses_s: tuple[float, ...] = RETRY_PAUSES_S,
    timeout_s: float = TIMEOUT_S,
    sleep: Callable[[float], None] = time.sleep,
) -> Delivery:
    """POST `{"text": text}` to `url`, retrying after each pause in `pauses_s` on any failure; never raises."""
    body = json.dumps({"text": text}).encode()
    problem = ""
    for attempt in range(len(pauses_s) + 1):
        if attempt:
            sleep(pauses_s[attempt - 1])
        request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout_s) as answer:
                answer.read()
            return Delivery(True, attempt + 1)
        except Exception as error:  # noqa: BLE001 - any failure is retried, then reported without the URL
            problem = _problem(error)
    return Delivery(False, len(pauses_s) + 1, problem)
