"""Weekly freeze windows in a time zone (pure; the clock is passed in).

A window ``Fri 16:00 -> Mon 08:00 Europe/Berlin`` is compared on the wall clock of that zone,
so it follows daylight saving time: it starts at 16:00 local time in summer and in winter.
A bound that falls in the hour skipped at the spring change is passed as soon as the clock
jumps over it. In the repeated autumn hour a freeze holds when either pass of the clock is
inside it: the wall clock reads the same in both passes, so one that ended in the first pass
is met again on the second; and a window is also frozen from the real instant it began (its
start on the first pass) to the real instant it ends, so one that began in the first pass does
not lapse in the second. A window that starts after the repeated hour has not begun during it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from automator.rules.model import FreezeWindow

MINUTE = timedelta(minutes=1)
WEEK = timedelta(weeks=1)


def minute_of_week(local: datetime) -> int:
    """The wall-clock reading of ``local`` in minutes since Monday 00:00."""
    return local.weekday() * 24 * 60 + local.hour * 60 + local.minute


def in_window(window: FreezeWindow, now: datetime) -> bool:
    """True when ``now`` is in ``[start, end)`` of the window (which may wrap past Sunday)."""
    if now.tzinfo is None:
        raise ValueError("the clock must give time-zone-aware datetimes")
    zone = ZoneInfo(window.timezone)
    local = now.astimezone(zone)
    instant = now.astimezone(timezone.utc)
    return _inside(window, minute_of_week(local)) or any(
        start <= instant < end for start, end in _occurrences(window, local))


def _inside(window: FreezeWindow, minute: int) -> bool:
    if window.start < window.end:
        return window.start <= minute < window.end
    return minute >= window.start or minute < window.end


def _occurrences(window: FreezeWindow, local: datetime) -> Iterator[tuple[datetime, datetime]]:
    """The real instants (UTC) at which the window starts and ends in the weeks around ``local``."""
    zone = local.tzinfo
    monday = datetime.combine(local.date() - timedelta(days=local.weekday()), datetime.min.time())
    length = (window.end - window.start) % (7 * 24 * 60)
    for week in (-1, 0, 1):
        start = monday + week * WEEK + window.start * MINUTE
        yield _instant(start, zone), _instant(start + length * MINUTE, zone)


def _instant(wall: datetime, zone) -> datetime:
    """The first instant at which the clock of ``zone`` reads ``wall`` or later: the first pass
    of a repeated time, the moment of the jump for a time skipped in spring."""
    first = wall.replace(tzinfo=zone, fold=0).astimezone(timezone.utc)
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return first
    instant = wall.replace(tzinfo=zone, fold=1).astimezone(timezone.utc)  # before the jump
    while instant.astimezone(zone).replace(tzinfo=None) < wall:
        instant += MINUTE
    return instant


def active_window(windows: Iterable[FreezeWindow], now: datetime) -> FreezeWindow | None:
    for window in windows:
        if in_window(window, now):
            return window
    return None
