"""Another try for what may succeed on another try: a transient failure again after an exponential backoff
(tenacity), a refused request once more after renewing the credentials."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import requests
import tenacity
import urllib3

from sacnn_dagster.io.download.errors import AuthenticationError, Refused, RetriesExhausted, TransientError

T = TypeVar("T")

#: Failures another try may cure: a server's 5xx or a cut (TransientError) and network failures (requests
#: wraps most; urllib3's surface while streaming). Anything else is raised at once.
RETRYABLE = (
    TransientError,
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    urllib3.exceptions.HTTPError,
)


def with_retries(
    once: Callable[[], T],
    *,
    shown: str,
    retries: int,
    backoff_s: float,
    log: Callable[[str], None],
    clean: Callable[[str], str],
    renew: Callable[[], None] | None = None,
    auth_hint: str = "",
) -> T:
    """Run `once` until it succeeds. A RETRYABLE failure is tried again up to `retries` times, after
    `backoff_s`, then twice and four times as long..., each retry logged, then raised as RetriesExhausted. A
    refusal calls `renew` and tries again at once, one time per call (a renewal cut short by a transient failure
    is done again at the next try); refused again, or with nothing to renew, AuthenticationError naming
    `auth_hint`. `shown` names the URL in messages, `clean` scrubs them of secrets."""
    renew_pending = False
    renewed = renew is None

    def attempt() -> T:
        nonlocal renew_pending, renewed
        while True:
            if renew_pending:
                renew()
                renew_pending = False
            try:
                return once()
            except Refused as exc:
                if renewed:
                    hint = f": {auth_hint}" if auth_hint else ""
                    message = f"{shown}: {exc}; access needs valid credentials{hint}"
                    raise AuthenticationError(clean(message)) from None
                renewed = renew_pending = True
                log(f"{shown}: {exc}; renewing the credentials once")

    def reason(state: tenacity.RetryCallState) -> str:
        exc = state.outcome.exception()
        return clean(str(exc) or type(exc).__name__)

    def log_retry(state: tenacity.RetryCallState) -> None:
        log(f"{shown}: {reason(state)}; retry {state.attempt_number}/{retries} in {state.next_action.sleep:.2f} s")

    def give_up(state: tenacity.RetryCallState) -> T:
        raise RetriesExhausted(f"{shown}: gave up after {state.attempt_number} attempts; last error: {reason(state)}")

    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception_type(RETRYABLE),
        stop=tenacity.stop_after_attempt(retries + 1),
        wait=tenacity.wait_exponential(multiplier=backoff_s),
        before_sleep=log_retry,
        retry_error_callback=give_up,
    )
    return retrying(attempt)
