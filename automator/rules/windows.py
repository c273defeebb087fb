"""Weekly freeze windows in a time zone (pure; the clock is passed in).

A window ``Fri 16:00 -> Mon 08:00 Europe/Berlin`` is compared on the wall clock of that zone,
so it follows daylight saving time: it starts at 16:00 local time in summer and in winter.
A bound that falls in the hour skipped at the spring change is passed as soon as the clock
jumps over it. In the repeated autumn hour the clock reads two ways at once (the wall clock
gone back, and the clock as it would read had it not gone back); a freeze holds when either
reading is inside it, so a window that has begun never lapses for the second pass and one
that ended in that hour is met again on the second pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from automator.rules.model import FreezeWindow

ZERO = timedelta(0)


def minutes_of_week(now: datetime, timezone: str) -> tuple[int, ...]:
    """The wall-clock readings of ``now`` in minutes since Monday 00:00 of that zone.

    One reading, except in the second pass of a repeated hour (``fold``): then also the reading
    on the offset in force before the clock went back.
    """
    if now.tzinfo is None:
        raise ValueError("the clock must give time-zone-aware datetimes")
    local = now.astimezone(ZoneInfo(timezone))
    wall = local.replace(tzinfo=None)
    readings = [wall]
    if local.fold:
        gone_back = (local.replace(fold=0).utcoffset() or ZERO) - (local.utcoffset() or ZERO)
        readings.append(wall + gone_back)
    return tuple(r.weekday() * 24 * 60 + r.hour * 60 + r.minute for r in readings)


def in_window(window: FreezeWindow, now: datetime) -> bool:
    """True when ``now`` is in ``[start, end)`` of the window (which may wrap past Sunday)."""
    return any(_inside(window, minute) for minute in minutes_of_week(now, window.timezone))


def _inside(window: FreezeWindow, minute: int) -> bool:
    if window.start < window.end:
        return window.start <= minute < window.end
    return minute >= window.start or minute < window.end


def active_window(windows: Iterable[FreezeWindow], now: datetime) -> FreezeWindow | None:
    for window in windows:
        if in_window(window, now):
            return window
    return None
