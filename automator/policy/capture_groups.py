"""The capture groups of a Go/RE2 pattern, in order, with their names (Go's ``SubexpNames``).

Go allows several groups with one name (``^a-(?P<n>\\d+)$|^b-(?P<n>\\d+)$``) and its
``Regexp.Expand`` inserts the first group of that name that took part in the match. The RE2
module reports one index per name (the leftmost), so the names are read from the pattern
itself: :func:`capture_names` walks a pattern RE2 has already accepted, skipping escapes,
``\\Q...\\E`` quotes and character classes, and names each ``(`` that captures.
"""

from __future__ import annotations

import re

_POSIX_CLASS = re.compile(r"\[:\^?[a-z]+:\]")  # [:alpha:] or [:^alpha:] inside a class
_NAMED_OPENERS = ("(?P<", "(?<")


def is_go_capture_name(name: str) -> bool:
    """Go's ``isValidCaptureName``: one or more ASCII letters, digits or ``_``."""
    return bool(name) and name.isascii() and all(c == "_" or c.isalnum() for c in name)


def capture_names(pattern: str) -> list[str]:
    """The name of each capture group in order (``""`` for an unnamed one); ``pattern`` must be
    one that RE2 accepts."""
    names: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if pattern.startswith("\\Q", i):  # literal text up to \E
            end = pattern.find("\\E", i + 2)
            i = n if end < 0 else end + 2
        elif c == "\\":
            i += 2
        elif c == "[":
            i = _class_end(pattern, i)
        elif c == "(":
            i = _group_start(pattern, i, names)
        else:
            i += 1
    return names


def _group_start(pattern: str, i: int, names: list[str]) -> int:
    """Record the group opened at ``i`` (if it captures); the index after its opener."""
    if not pattern.startswith("(?", i):
        names.append("")
        return i + 1
    opener = next((o for o in _NAMED_OPENERS if pattern.startswith(o, i)), None)
    if opener is None:  # (?:...), (?i) and other flag groups capture nothing
        return i + 2
    close = pattern.find(">", i + len(opener))
    names.append(pattern[i + len(opener) : close])
    return close + 1


def _class_end(pattern: str, i: int) -> int:
    """The index after the character class that opens at ``i`` (``]`` first is literal,
    ``[:alpha:]`` is a POSIX class inside it)."""
    n = len(pattern)
    j = i + 1
    if j < n and pattern[j] == "^":
        j += 1
    if j < n and pattern[j] == "]":
        j += 1
    while j < n and pattern[j] != "]":
        if pattern[j] == "\\":
            j += 2
        elif (posix := _POSIX_CLASS.match(pattern, j)) is not None:
            j = posix.end()
        else:
            j += 1
    return j + 1
