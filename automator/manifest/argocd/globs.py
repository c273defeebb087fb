"""``ignore-tags`` patterns as Argo CD Image Updater reads them: Go's ``path/filepath.Match`` (pure).

Argo's ``IsTagIgnored`` ignores a tag when ``filepath.Match(pattern, tag)`` matches without an
error. The grammar (Go's path/filepath/match.go, outside Windows):

* ``*`` any run of characters other than ``/``; ``?`` one character other than ``/``;
* ``[`` [``^``] one or more ranges or characters ``]``: ``[a-z0-9_]``, ``[^0-9]`` (``^``
  negates, ``!`` is an ordinary character); a ``-`` or ``]`` that is not escaped cannot begin a
  range, and a range written high to low (``[z-a]``) holds no character;
* ``\\`` makes the next character literal (inside a class too);
* every other character is itself: ``{a,b}`` is literal text.

A malformed pattern (Go's ``ErrBadPattern``: an unclosed ``[``, an empty ``[]``, ``]`` or ``-``
first in a class, ``[a-]``, a lone final ``\\``) matches no tag at all, so it ignores nothing.
:func:`match_regex` turns a pattern into an anchored regex that Go's RE2 and Python's ``re``
both read alike, or raises :class:`BadPattern` saying what is malformed.
"""

from __future__ import annotations

ANY_BUT_SEPARATOR, ONE_BUT_SEPARATOR = "[^/]*", "[^/]"
ANY_CHARACTER, NO_CHARACTER = "[\\s\\S]", "[^\\s\\S]"


class BadPattern(ValueError):
    """A pattern Go's ``filepath.Match`` refuses (``ErrBadPattern``); it matches nothing."""


def match_regex(pattern: str) -> str:
    """``pattern`` as an anchored regex matching what ``filepath.Match`` matches; BadPattern if malformed."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            if not out or out[-1] != ANY_BUT_SEPARATOR:  # consecutive stars are one
                out.append(ANY_BUT_SEPARATOR)
            i += 1
        elif c == "?":
            out.append(ONE_BUT_SEPARATOR)
            i += 1
        elif c == "[":
            piece, i = _class(pattern, i)
            out.append(piece)
        elif c == "\\":
            if i + 1 == n:
                raise BadPattern("it ends with a lone '\\'")
            out.append(_literal(pattern[i + 1]))
            i += 2
        else:
            out.append(_literal(c))
            i += 1
    return "^" + "".join(out) + "$"


def _class(pattern: str, start: int) -> tuple[str, int]:
    """The class opening at ``start`` as a regex, and the index after its ``]``."""
    i = start + 1
    negated = pattern.startswith("^", i)
    i += negated
    ranges: list[tuple[str, str]] = []
    while True:
        if pattern.startswith("]", i) and ranges:
            break
        low, i = _class_character(pattern, i, start)
        high = low
        if pattern[i] == "-":
            high, i = _class_character(pattern, i + 1, start)
        ranges.append((low, high))
    body = "".join(_literal(lo) if lo == hi else f"{_literal(lo)}-{_literal(hi)}" for lo, hi in ranges if lo <= hi)
    if not body:  # only ranges written high to low: no character is in the class
        return (ANY_CHARACTER if negated else NO_CHARACTER), i + 1
    return ("[^" if negated else "[") + body + "]", i + 1


def _class_character(pattern: str, i: int, start: int) -> tuple[str, int]:
    """One character of a class (Go's ``getEsc``) and the index after it; something must follow."""
    where = f"the '[' at character {start + 1}"
    if i >= len(pattern):
        raise BadPattern(f"{where} is never closed by ']'")
    if pattern[i] in "-]":
        raise BadPattern(f"{where}: a '{pattern[i]}' cannot begin a range there (escape it: '\\{pattern[i]}')")
    if pattern[i] == "\\":
        i += 1
        if i >= len(pattern):
            raise BadPattern(f"{where} is never closed by ']'")
    if i + 1 >= len(pattern):
        raise BadPattern(f"{where} is never closed by ']'")
    return pattern[i], i + 1


def _literal(c: str) -> str:
    """One character, literal in an RE2 or Python pattern, in or out of a class."""
    punctuation = c.isascii() and c.isprintable() and not c.isalnum() and c not in "_ "
    return "\\" + c if punctuation else c
