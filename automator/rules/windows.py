"""Weekly freeze windows in a time zone (pure; the clock is passed in).

A window ``Fri 16:00 -> Mon 08:00 Europe/Berlin`` is compared on the wall clock of that zone,
so it follows daylight saving time: it starts at 16:00 local time in summer and in winter.
A bound that falls in the hour skipped at the spring change is passed as soon as the clock
jumps over it; a bound in the repeated autumn hour is met on both passes of that hour.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from automator.rules.model import FreezeWindow


def minute_of_week(now: datetime, timezone: str) -> int:
    if now.tzinfo is None:
        raise ValueError("the clock must give time-zone-aware datetimes")
    local = now.astimezone(ZoneInfo(timezone))
    return local.weekday() * 24 * 60 + local.hour * 60 + local.minute


def in_window(window: FreezeWindow, now: datetime) -> bool:
    """True when ``now`` is in ``[start, end)`` of the window (which may wrap past Sunday)."""
    minute = minute_of_week(now, window.timezone)
    if window.start < window.end:
        return window.start <= minute < window.end
    return minute >= window.start or minute < window.end


def active_window(windows: Iterable[FreezeWindow], now: datetime) -> FreezeWindow | None:
    for window in windows:
        if in_window(window, now):
            return window
    return None
