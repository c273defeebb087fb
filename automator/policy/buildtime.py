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

_NO_TIME = (0, 0.0)
_FRACTION = re.compile(r"\.([0-9]+)")


def parse_rfc3339(text: str) -> datetime:
    """A time as registries and tools write it (``Z``, up to nanoseconds, any fraction length),
    read alike on every supported Python (3.10's ``fromisoformat`` takes only 3 or 6 fraction
    digits). A time without offset is UTC. Raises ``ValueError`` when it is not a time."""
    value = text.strip()
    value = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    value = _FRACTION.sub(lambda m: "." + m.group(1)[:6].ljust(6, "0"), value, count=1)
    parsed = datetime.fromisoformat(value.replace("t", "T", 1))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def build_time_key(created: datetime | None) -> tuple[int, float]:
    if created is None:
        return _NO_TIME
    if created.tzinfo is None:
        created = created.replace(tzinfo=timezone.utc)  # naive times are read as UTC
    return (1, created.timestamp())


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

    def winner_phrase(self, key: tuple[int, float, str]) -> str:
        if key[0] == 0:
            return "the lexically greatest matching tag, as no matching tag has a known build time"
        built = datetime.fromtimestamp(key[1], tz=timezone.utc).isoformat().replace("+00:00", "Z")
        return f"the newest build among matching tags (built {built})"
