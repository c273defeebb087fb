"""Find single-line YAML scalars and their trailing comments without parsing the document.

Flux v2 markers are line comments on a scalar (``image: app:1.0 # {"$imagepolicy": ...}``),
so a line scanner is enough to locate them, and it costs nothing on lines without a marker.
:func:`scan_lines` walks a text line by line, skips the content of block scalars (``|``/``>``)
and yields every line that holds a one-line scalar value: ``key: value``, ``- value``,
``- key: value`` with plain, single- or double-quoted values, anchors and tags allowed.
Offsets are character offsets into the whole text; line numbers start at 1.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

_LINE = re.compile(r"[^\n]*\n?")
_BLANK = " \t"
# characters that cannot start a plain scalar (flow collections, aliases, reserved indicators)
_NOT_PLAIN = set("[]{},*%@`")


@dataclass(frozen=True)
class ScalarLine:
    """One line of a YAML text: its key, and its one-line scalar value when ``value`` is True.

    ``start``/``end`` bound the scalar's content (quotes excluded); ``column`` is where the key
    (or the keyless value) starts; ``item`` says the line opens a sequence item (``- ...``);
    ``comment`` is the line comment from its ``#`` on ("" when none).
    """

    line: int
    start: int
    end: int
    quote: str
    key: str | None
    column: int
    comment: str
    item: bool = False
    value: bool = True
    text: str = ""

    @property
    def document_start(self) -> bool:
        """True for the ``---`` line that opens a document (no key, no value)."""
        return self.column < 0


@dataclass(frozen=True)
class _Parsed:
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


def parse_line(line: str) -> _Parsed | None:
    """Key, scalar value and comment of one line (without its line break), or None.

    A line with a key but no one-line scalar value (``spec:``, ``key: [a, b]``) gives a
    :class:`_Parsed` whose ``value`` is False, so callers can follow the key structure.
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
    keyed = _Parsed(key, column, i, i, "", "", item=item, value=False) if key is not None else None
    if i == len(line) or line[i] == "#":
        return keyed
    if line[i] in "|>":
        # block scalar content is indented deeper than its key (or its "-" when keyless)
        return _Parsed(key, column if key is not None else parent, i, i, "", "", item=item, value=False, block=True)
    if line[i] in "\"'":
        close = _quoted_end(line, i)
        if close is None:
            return keyed
        rest = _skip(line, close + 1)
        if rest < len(line) and line[rest] != "#":
            return keyed
        return _Parsed(key, column, i + 1, close, line[i], line[rest:], item=item)
    if line[i] in _NOT_PLAIN or _is_indicator(line, i, "?") or _is_indicator(line, i, ":"):
        return keyed
    comment = _plain_comment(line, i)
    end = len(line[:comment].rstrip(_BLANK))
    return _Parsed(key, column, i, end, "", line[comment:], item=item)


def _unquote(raw: str, quote: str) -> str:
    """The value of a one-line scalar's content (simple escapes only; images need no more)."""
    if quote == "'":
        return raw.replace("''", "'")
    if quote == '"' and "\\" in raw:
        return raw.replace('\\"', '"').replace("\\\\", "\\")
    return raw


def iter_lines(text: str) -> Iterator[tuple[int, int, str]]:
    """``(line number, offset, line without its break)``; CRLF and a leading BOM are tolerated."""
    for number, match in enumerate(_LINE.finditer(text), 1):
        line = match.group()
        if not line:
            return
        offset = match.start()
        line = line.rstrip("\n")
        if line.endswith("\r"):
            line = line[:-1]
        if number == 1 and line.startswith("\ufeff"):
            line, offset = line[1:], offset + 1
        yield number, offset, line


def scan_lines(text: str) -> Iterator[ScalarLine]:
    """Every keyed or one-line scalar line of ``text`` outside block scalars, in order.

    Lines whose ``value`` is False carry only a key (their value is nested, a collection or
    a block scalar); they let callers follow the structure (parents, sequence items).
    """
    block_column: int | None = None
    for number, offset, line in iter_lines(text):
        if block_column is not None:
            indent = len(line) - len(line.lstrip(" "))
            document_start = line.startswith(("---", "...")) and line[3:4] in ("", " ", "\t")
            if not document_start and (not line.strip(_BLANK) or indent > block_column):
                continue
            block_column = None
        if line.startswith("---") and line[3:4] in ("", " ", "\t"):
            yield ScalarLine(line=number, start=offset, end=offset, quote="", key=None, column=-1, comment="", value=False)
            block_column = -1 if line[3:].lstrip(_BLANK)[:1] in ("|", ">") else None
            continue
        parsed = parse_line(line)
        if parsed is None:
            continue
        if parsed.block:
            block_column = parsed.column
        yield ScalarLine(
            line=number,
            start=offset + parsed.start,
            end=offset + parsed.end,
            quote=parsed.quote,
            key=parsed.key,
            column=parsed.column,
            comment=parsed.comment,
            item=parsed.item,
            value=parsed.value,
            text=_unquote(line[parsed.start : parsed.end], parsed.quote) if parsed.value else "",
        )
