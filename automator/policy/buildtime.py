"""Flux v1 filters (``glob:``, ``regex:``): the newest image by build time wins.

The registry stage supplies each candidate's build time (``TagInfo.created``). When a build
time is unknown: tags *with* a build time always rank above tags *without* one; among tags
with the same build time, or none at all, the lexically greatest tag wins. So with no build
times at all (``automator select`` without a time column) the choice is the lexically
greatest matching tag, and the reason says so.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

from automator.policy.base import Policy, Rank
from automator.tags import TagInfo

_NO_TIME = (0, datetime.min.replace(tzinfo=timezone.utc))
_FRACTION = re.compile(r"\.([0-9]+)")


class TimeOutOfRange(ValueError):
    """A well-formed time that falls outside years 1-9999 once converted to UTC
    (``9999-12-31T23:00:00-05:00``): no build time, as Python cannot compare or show it."""


def as_utc(moment: datetime) -> datetime | None:
    """The moment in UTC (a naive time is UTC), or None when it falls outside years 1-9999 there."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    try:
        return moment.astimezone(timezone.utc)
    except OverflowError:
        return None


def parse_rfc3339(text: str) -> datetime:
    """A time as registries and tools write it (``Z``, up to nanoseconds, any fraction length),
    read alike on every supported Python (3.10's ``fromisoformat`` takes only 3 or 6 fraction
    digits). A time without offset is UTC. Raises ``ValueError`` when it is not a time, and its
    subclass :class:`TimeOutOfRange` when it is one outside years 1-9999 in UTC."""
    value = text.strip()
    value = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    value = _FRACTION.sub(lambda m: "." + m.group(1)[:6].ljust(6, "0"), value, count=1)
    parsed = datetime.fromisoformat(value.replace("t", "T", 1))
    if as_utc(parsed) is None:
        raise TimeOutOfRange(f"{text.strip()!r} falls outside years 1-9999 in UTC")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def build_time_key(created: datetime | None) -> tuple[int, datetime]:
    """Sort key of a build time: the exact moment in UTC; an unknown build time (or one outside
    years 1-9999 in UTC) orders below every known one."""
    moment = None if created is None else as_utc(created)
    return _NO_TIME if moment is None else (1, moment)


class BuildTimePolicy(Policy):
    """Filters whose order is the build time; subclasses say which values match."""

    needs_build_time = True
    mismatch = "does not match"

    def matches(self, value: str) -> bool:
        raise NotImplementedError

    def rank(self, value: str, info: TagInfo) -> Rank:
        if not self.matches(value):
            return False, self.mismatch
        # the tag completes the order, so keeping the current tag follows the same tie-break
        return True, (*build_time_key(info.created), info.tag)

    def winner_phrase(self, key: tuple[int, datetime, str]) -> str:
        if key[0] == 0:
            return "the lexically greatest matching tag, as no matching tag has a known build time"
        built = key[1].isoformat().replace("+00:00", "Z")
        return f"the newest build among matching tags (built {built})"
