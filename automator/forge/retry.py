"""Bounded back-off for rate-limited forge requests (GitHub primary/secondary limits, GitLab 429)."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 4
MAX_WAIT = 120.0


def _retry_after(value: str, now: float) -> float:
    """``Retry-After`` in seconds: a number of seconds or an HTTP date (RFC 9110)."""
    try:
        seconds = float(value)
    except ValueError:
        seconds = None
    if seconds is not None:
        if math.isnan(seconds):
            raise ValueError(f"unreadable Retry-After {value!r}")
        return seconds
    try:
        return parsedate_to_datetime(value).timestamp() - now
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"unreadable Retry-After {value!r}") from None


def wait_seconds(headers: Mapping[str, str], attempt: int, *, now: float | None = None) -> float:
    """How long to wait before the next attempt: ``Retry-After`` (seconds or an HTTP date),
    else the reset time, else 2^n; never more than :data:`MAX_WAIT`."""
    lower = {k.lower(): v for k, v in (headers or {}).items()}
    now = time.time() if now is None else now
    try:
        if "retry-after" in lower:
            return min(max(_retry_after(lower["retry-after"], now), 0.0), MAX_WAIT)
        if lower.get("x-ratelimit-remaining") == "0" and "x-ratelimit-reset" in lower:
            reset = float(lower["x-ratelimit-reset"]) - now
            return min(max(reset, 1.0), MAX_WAIT)
    except ValueError:
        pass
    return min(2.0**attempt, MAX_WAIT)


def back_off(what: str, headers: Mapping[str, str], attempt: int, sleep: Callable[[float], None]) -> None:
    delay = wait_seconds(headers, attempt)
    log.warning("%s: rate limited, retrying in %.0fs (attempt %d of %d)", what, delay, attempt + 1, MAX_ATTEMPTS)
    sleep(delay)
