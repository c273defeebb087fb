"""Filters between tag listing and selection: hold, freeze, change size, minimum age (pure).

:func:`select_with_rules` asks the policy for its best candidate, checks it against the
settings that rules give for a move of that size, and when a filter excludes it records the
tag and the reason in ``Selection.excluded`` and asks again without it. The clock, the rule
lookup and the build-time lookup are passed in, so everything here is pure.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from automator.model import Selection, TagInfo
from automator.rules.match import change_size
from automator.rules.model import CHANGE_SIZES, ChangeSize, Settings
from automator.rules.values import format_duration
from automator.rules.windows import active_window


class SelectingPolicy(Protocol):
    def admits(self, tag: str) -> bool: ...

    def select(self, tags: Sequence[TagInfo], current: str | None = ...) -> Selection: ...


SettingsOf = Callable[[ChangeSize | None], Settings]
CreatedOf = Callable[[TagInfo], datetime | None]


def hold_reason(settings: Settings, now: datetime, held_by: str | None = None) -> str | None:
    """Why nothing may move at all for these settings right now, or None."""
    if held_by:
        return held_by
    if settings.hold:
        return "held by rule"
    window = active_window(settings.freeze or (), now)
    return f"freeze window {window.text}" if window else None


def size_reason(settings: Settings, size: ChangeSize | None) -> str | None:
    limit = settings.max_change
    if limit and size and CHANGE_SIZES.index(size) > CHANGE_SIZES.index(limit):
        return f"{size} change; rules allow at most {limit}"
    return None


def age_reason(settings: Settings, created: datetime | None, now: datetime, *, first_seen: bool = False) -> str | None:
    """Why a tag built (or, with ``first_seen``, first seen) at ``created`` is too new, or None."""
    if not settings.min_age or created is None:
        return None
    age = now - created
    if age >= settings.min_age:
        return None
    minimum = format_duration(settings.min_age)
    if first_seen:
        return f"too new: first seen {format_duration(age)} ago (build time unknown), minimum age {minimum}"
    if age < timedelta(0):
        return f"too new: its build time {created.isoformat()} is in the future; minimum age {minimum}"
    return f"too new: built {format_duration(age)} ago, minimum age {minimum}"


def exclusion(
    tag: TagInfo,
    current: str | None,
    *,
    settings_of: SettingsOf,
    now: datetime,
    created_of: CreatedOf,
    held_by: str | None = None,
) -> str | None:
    """The reason ``tag`` may not replace ``current`` now, or None when it may."""
    size = change_size(current, tag.tag)
    settings = settings_of(size)
    reason = hold_reason(settings, now, held_by) or size_reason(settings, size)
    return reason or _age_exclusion(tag, settings, now, created_of)


def select_with_rules(
    policy: SelectingPolicy,
    tags: Sequence[TagInfo],
    current: str | None,
    *,
    settings_of: SettingsOf,
    now: datetime,
    created_of: CreatedOf = lambda tag: None,
    held_by: str | None = None,
    seen_of: CreatedOf = lambda tag: None,
) -> Selection:
    """The policy's choice among the tags that the rules let through, and every exclusion.

    ``created_of`` gives a tag's build time; ``seen_of`` when it was first seen, the age of a
    tag whose build time is unknown.

    A reason that depends only on the size of the move (hold, freeze, ``max-change``) removes
    every tag of that size at once; ``excluded`` names the best of them and ``excluded_count``
    counts them all. Minimum age is checked one candidate at a time, best first.
    """
    settings: dict[ChangeSize | None, Settings] = {}
    blocked: dict[ChangeSize | None, str | None] = {}

    def block(size: ChangeSize | None) -> str | None:
        if size not in blocked:
            settings[size] = settings_of(size)
            blocked[size] = hold_reason(settings[size], now, held_by) or size_reason(settings[size], size)
        return blocked[size]

    remaining = list(tags)
    excluded: list[tuple[str, str]] = []
    removed = 0
    while True:
        selection = policy.select(remaining, current)
        chosen = selection.chosen
        if chosen is None or chosen == current:
            break
        size = change_size(current, chosen)
        reason = block(size)
        if reason is not None:
            keep = [t for t in remaining if t.tag == current or block(change_size(current, t.tag)) != reason]
            removed += len(remaining) - len(keep)
        else:
            info = next((t for t in remaining if t.tag == chosen), TagInfo(chosen))
            reason = _age_exclusion(info, settings[size], now, created_of, seen_of)
            if reason is None:
                break
            keep = [t for t in remaining if t.tag != chosen]
            removed += 1
        excluded.append((chosen, reason))
        remaining = keep
    if not excluded:
        return selection
    all_excluded = tuple(excluded) + tuple(selection.excluded)
    count = selection.excluded_count + removed
    if selection.chosen is None and current:
        return Selection(current, f"stays on {current}: {excluded[0][1]}", len(tags), all_excluded, count)
    if selection.chosen != current:
        passed = "; ".join(f"{tag} ({why})" for tag, why in excluded[:3])
        more = f" and {len(excluded) - 3} more" if len(excluded) > 3 else ""
        reason = f"{selection.reason}; passed over {passed}{more}"
    else:
        reason = f"stays on {current}: {excluded[0][1]}"
    return selection.replace(reason=reason, considered=len(tags), excluded=all_excluded, excluded_count=count)


def _age_exclusion(
    tag: TagInfo, settings: Settings, now: datetime, created_of: CreatedOf, seen_of: CreatedOf = lambda tag: None
) -> str | None:
    if not settings.min_age:
        return None
    created = tag.created or created_of(tag)
    if created is not None:
        return age_reason(settings, created, now)
    seen = seen_of(tag)
    if seen is None:
        return f"build time unknown and never seen before; minimum age {format_duration(settings.min_age)}"
    return age_reason(settings, seen, now, first_seen=True)
