"""Bounded back-off for rate-limited forge requests (GitHub primary/secondary limits)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 4
MAX_WAIT = 120.0


def wait_seconds(headers: Mapping[str, str], attempt: int, *, now: float | None = None) -> float:
    """How long to wait before the next attempt: ``Retry-After``, else the reset time, else 2^n."""
    lower = {k.lower(): v for k, v in (headers or {}).items()}
    try:
        if "retry-after" in lower:
            return min(max(float(lower["retry-after"]), 0.0), MAX_WAIT)
        if lower.get("x-ratelimit-remaining") == "0" and "x-ratelimit-reset" in lower:
            reset = float(lower["x-ratelimit-reset"]) - (time.time() if now is None else now)
            return min(max(reset, 1.0), MAX_WAIT)
    except ValueError:
        pass
    return min(2.0**attempt, MAX_WAIT)


def back_off(what: str, headers: Mapping[str, str], attempt: int, sleep: Callable[[float], None]) -> None:
    delay = wait_seconds(headers, attempt)
    log.warning("%s: rate limited, retrying in %.0fs (attempt %d of %d)", what, delay, attempt + 1, MAX_ATTEMPTS)
    sleep(delay)
