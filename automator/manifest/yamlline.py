"""Read one YAML line: its key, its one-line scalar value (exact offsets) and its comment.

Flux v2 markers are line comments on a scalar (``image: app:1.0 # {"$imagepolicy": ...}``)
and comments are not part of a composed YAML tree, so the lines that mention a marker are
read with :func:`parse_line`: ``key: value``, ``- value``, ``- key: value`` with plain,
single- or double-quoted values, anchors and tags allowed. The composed tree then confirms
that the value really is a scalar there (not text inside a block scalar).
"""

from __future__ import annotations

from automator.values import value_type

_BLANK = " \t"
# characters that cannot start a plain scalar (flow collections, aliases, reserved indicators)
_NOT_PLAIN = set("[]{},*%@`")


@value_type
class Parsed:
    """What a line holds; ``start``/``end`` bound the value's content (quotes excluded)."""

    key: str | None
    column: int
    start: int
    end: int
    quote: str
    comment: str
    item: bool = False
    value: bool = True
    block: bool = False


def _skip(line: str, i: int) -> int:
    while i < len(line) and line[i] in _BLANK:
        i += 1
    return i


def _quoted_end(line: str, i: int) -> int | None:
    """Index of the closing quote of the quoted scalar opening at ``i`` (None: not on this line)."""
    quote, j = line[i], i + 1
    while j < len(line):
        ch = line[j]
        if quote == '"' and ch == "\\":
            j += 2
            continue
        if ch == quote:
            if quote == "'" and line[j + 1 : j + 2] == "'":
                j += 2
                continue
            return j
        j += 1
    return None


def _is_indicator(line: str, i: int, ch: str) -> bool:
    return line[i : i + 1] == ch and (i + 1 == len(line) or line[i + 1] in _BLANK)


def _plain_comment(line: str, i: int) -> int:
    """Start of the comment after a plain scalar starting at ``i`` (``len(line)`` when none)."""
    j = i
    while True:
        j = line.find("#", j + 1)
        if j < 0:
            return len(line)
        if line[j - 1] in _BLANK:
            return j


def _key(line: str, i: int) -> tuple[str, int] | None:
    """The mapping key at ``i`` and the index just after its ``:``, or None if not a key."""
    if line[i] in "\"'":
        close = _quoted_end(line, i)
        if close is None:
            return None
        j = _skip(line, close + 1)
        return (line[i + 1 : close], j + 1) if _is_indicator(line, j, ":") else None
    if line[i] in _NOT_PLAIN or line[i] in "#|>!&":
        return None
    limit = _plain_comment(line, i)
    j = line.find(":", i)
    while 0 <= j < limit:
        if j + 1 == len(line) or line[j + 1] in _BLANK:
            return line[i:j].rstrip(_BLANK), j + 1
        j = line.find(":", j + 1)
    return None


def _properties(line: str, i: int) -> int:
    """Skip ``&anchor`` and ``!tag`` properties before a value."""
    while i < len(line) and line[i] in "&!":
        space = i
        while space < len(line) and line[space] not in _BLANK:
            space += 1
        i = _skip(line, space)
    return i


def parse_line(line: str) -> Parsed | None:
    """Key, scalar value and comment of one line (without its line break), or None.

    A line with a key but no one-line scalar value (``spec:``, ``key: [a, b]``) gives a
    :class:`Parsed` whose ``value`` is False, so callers can follow the key structure.
    """
    i = _skip(line, 0)
    if i == len(line) or line[i] == "#" or line.startswith(("---", "..."), i):
        return None
    parent, item = -1, False
    while _is_indicator(line, i, "-"):
        parent, item = i, True
        i = _skip(line, i + 1)
        if i == len(line):
            return None
    column, key = i, None
    found = _key(line, i)
    if found is not None:
        key, after = found
        i = _skip(line, after)
    i = _properties(line, i)
    keyed = Parsed(key, column, i, i, "", "", item=item, value=False) if key is not None else None
    if i == len(line) or line[i] == "#":
        return keyed
    if line[i] in "|>":
        # block scalar content is indented deeper than its key (or its "-" when keyless)
        return Parsed(key, column if key is not None else parent, i, i, "", "", item=item, value=False, block=True)
    if line[i] in "\"'":
        close = _quoted_end(line, i)
        if close is None:
            return keyed
        rest = _skip(line, close + 1)
        if rest < len(line) and line[rest] != "#":
            return keyed
        return Parsed(key, column, i + 1, close, line[i], line[rest:], item=item)
    if line[i] in _NOT_PLAIN or _is_indicator(line, i, "?") or _is_indicator(line, i, ":"):
        return keyed
    comment = _plain_comment(line, i)
    end = len(line[:comment].rstrip(_BLANK))
    return Parsed(key, column, i, end, "", line[comment:], item=item)
