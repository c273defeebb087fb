"""Regular expressions as users write them for Flux and Argo CD (Go's RE2), and extract templates.

Every pattern a user or a registry supplies (``regex:`` policies, filters, Flux v2
``filterTags.pattern``, rule globs) is compiled by :func:`compile_go_regex` with Google's RE2,
the engine behind Go's ``regexp``: the same syntax (``[[:digit:]]``, ``\\pL``, ``\\z``, ``(?U)``,
``\\Q...\\E``, ``(?P<name>...)`` and ``(?<name>...)``; ``a{,2}`` is literal text) and matching in
time linear in the length of the tag, whatever the pattern. What Go refuses (lookarounds,
backreferences, ``\\Z``, ``\\C``, possessive ``++``) raises :class:`PatternSyntaxError` saying it
is not Go/RE2 syntax. The ``re2`` module is imported on first use, so commands that compile no
pattern never load it.

An extract template follows Go's ``Regexp.Expand``: ``$1``, ``$name`` or ``${name}`` insert a
group (a name is the longest run of letters, digits and ``_``; a group number has no leading
zero), ``$$`` is a literal ``$``, and a ``$`` not followed by a name is kept as text. Several
groups may share a name (``^a-(?P<n>.+)$|^b-(?P<n>.+)$``); ``$n`` is then the first of them that
took part in the match. A group name is ASCII letters, digits and ``_``, as in Go.
"""

from __future__ import annotations

from functools import lru_cache

from automator.frozen import Frozen, set_field

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class PatternSyntaxError(ValueError):
    """A pattern that Go's ``regexp`` (RE2) refuses; the message says why."""


_engine: Any = None


def _re2() -> Any:
    global _engine
    if _engine is None:
        import re2

        _engine = re2
    return _engine


# What people bring from Perl/Python/PCRE that RE2 refuses, and what to write instead.
_HINTS = (
    (("(?=", "(?!", "(?<=", "(?<!"), "RE2 has no lookahead or lookbehind; match the part you want in a group instead"),
    (("(?P=", "\\1", "\\2", "\\3", "\\4", "\\5", "\\6", "\\7", "\\8", "\\9", "\\k", "\\g"), "RE2 has no backreferences"),
    (("\\Z",), "write \\z (end of text) or $"),
    (("(?>", "++", "*+", "?+"), "RE2 has no atomic groups or possessive repetitions; they are not needed in linear time"),
    (("(?#", "(?x"), "RE2 has no comments or verbose mode"),
)


def _refusal(pattern: str, reason: str) -> PatternSyntaxError:
    """The refusal, with a hint when RE2 names a construct people bring from elsewhere."""
    where = reason.rpartition(": ")[2]  # RE2 ends its reason with the offending text
    if where == "(?P" and "(?P=" in pattern:
        where = "(?P="
    hint = next((text for starts, text in _HINTS if where.startswith(starts)), "")
    return PatternSyntaxError(f"not Go/RE2 syntax: {reason}" + (f" ({hint})" if hint else ""))


def _check_go_only(pattern: str) -> None:
    """Refuse what RE2 accepts but Go's ``regexp`` does not: ``\\C`` (one byte)."""
    i, n = 0, len(pattern)
    while i < n:
        if pattern.startswith("\\Q", i):  # literal text up to \E
            end = pattern.find("\\E", i + 2)
            i = n if end < 0 else end + 2
        elif pattern[i] == "\\":
            if pattern.startswith("C", i + 1):
                raise _refusal(pattern, "invalid escape sequence: \\C")
            i += 2
        else:
            i += 1


def _go_capture_names(pattern: str, compiled: Any) -> tuple[str, ...]:
    """The group names of a pattern RE2 accepted; refuses a name Go refuses (RE2 also takes
    non-ASCII letters, Go only ASCII letters, digits and ``_``). Its helpers load with the first pattern."""
    from automator.policy.capture_groups import capture_names, is_go_capture_name

    names = capture_names(pattern)
    for name in names:
        if name and not is_go_capture_name(name):
            raise _refusal(pattern, f"invalid named capture: {name!r} (Go allows only ASCII letters, digits and _ in a group name)")
    if len(names) != compiled.groups:  # not expected: fall back to RE2's one index per name
        by_index = {index: name for name, index in compiled.groupindex.items()}
        names = [by_index.get(number, "") for number in range(1, compiled.groups + 1)]
    return tuple(names)


class GoMatch:
    """One match: ``group(n)`` is the text of group n (None when it took no part)."""

    __slots__ = ("text", "spans")

    def __init__(self, text: str, spans) -> None:
        self.text = text
        self.spans = spans  # (start, end) per group, (-1, -1) for a group that took no part

    def group(self, index: int = 0) -> str | None:
        start, end = self.spans[index]
        return None if start < 0 else self.text[start:end]

    def span(self, index: int = 0) -> tuple[int, int]:
        return tuple(self.spans[index])


class GoRegex:
    """A compiled Go/RE2 pattern: ``search`` (Go's ``MatchString``), ``match``, ``fullmatch``."""

    __slots__ = ("pattern", "groups", "groupindex", "group_names", "_compiled", "_match", "_anchors")

    def __init__(self, pattern: str) -> None:
        re2 = _re2()
        options = re2.Options()
        options.log_errors = False  # the refusal is raised, not also printed to stderr
        _check_go_only(pattern)
        try:
            compiled = re2.compile(pattern, options)
        except re2.error as error:
            reason = error.args[0] if error.args else "invalid pattern"
            if isinstance(reason, bytes):
                reason = reason.decode("utf-8", "replace")
            raise _refusal(pattern, str(reason)) from None
        names = _go_capture_names(pattern, compiled)
        self.pattern = pattern
        self.groups: int = compiled.groups
        self.groupindex: dict[str, int] = compiled.groupindex
        self.group_names: tuple[str, ...] = names  # of groups 1, 2, ...; "" when unnamed
        self._compiled = compiled
        # The match primitive under the module's Python wrapper: the same RE2 call without
        # the per-call bookkeeping, which makes filtering thousands of tags several times faster.
        self._match = getattr(getattr(compiled, "_regexp", None), "Match", None)
        anchor = getattr(re2, "_Anchor", None)
        self._anchors = (anchor.UNANCHORED, anchor.ANCHOR_START, anchor.ANCHOR_BOTH) if anchor and self._match else None

    def indices_of(self, name: str) -> tuple[int, ...]:
        """The numbers of the groups called ``name``, in order (Go allows several)."""
        return tuple(number for number, named in enumerate(self.group_names, start=1) if named == name)

    def _run(self, how: int, text: str) -> GoMatch | None:
        if self._anchors is None:  # a module without the primitive: its public methods
            found = (self._compiled.search, self._compiled.match, self._compiled.fullmatch)[how](text)
            if found is None:
                return None
            return GoMatch(text, [found.span(i) for i in range(self.groups + 1)])
        data = text.encode("utf-8", "surrogatepass")
        start = 0
        while True:
            spans = self._match(self._anchors[how], data, start, len(data))
            if spans[0][0] < 0:
                return None
            if len(data) == len(text):
                return GoMatch(text, spans)
            if not any(_inside_character(data, at) for span in spans for at in span):
                return GoMatch(text, [_chars(data, span) for span in spans])  # byte offsets -> character offsets
            # an empty match between the bytes of one character (\B): Go tries only the places
            # between whole characters, so the search goes on from the next of those
            if how != 0 or spans[0][0] >= len(data):
                return None
            start = _next_character(data, spans[0][0] + 1)

    def search(self, text: str) -> GoMatch | None:
        """The leftmost match anywhere in ``text`` (Go's ``FindStringSubmatch``)."""
        return self._run(0, text)

    def match(self, text: str) -> GoMatch | None:
        """A match that starts at the beginning of ``text``."""
        return self._run(1, text)

    def fullmatch(self, text: str) -> GoMatch | None:
        """A match of the whole of ``text``."""
        return self._run(2, text)

    def __repr__(self) -> str:
        return f"GoRegex({self.pattern!r})"

    def __reduce__(self):  # pickled as its pattern: the compiled program is rebuilt on load
        return compile_go_regex, (self.pattern,)


def _inside_character(data: bytes, at: int) -> bool:
    """Whether byte offset ``at`` falls between the bytes of one UTF-8 character."""
    return 0 < at < len(data) and data[at] & 0xC0 == 0x80


def _next_character(data: bytes, at: int) -> int:
    while _inside_character(data, at):
        at += 1
    return at


def _chars(data: bytes, span: tuple[int, int]) -> tuple[int, int]:
    if span[0] < 0:
        return span
    before = len(data[: span[0]].decode("utf-8", "surrogatepass"))
    return before, before + len(data[span[0] : span[1]].decode("utf-8", "surrogatepass"))


@lru_cache(maxsize=512)
def compile_go_regex(pattern: str) -> GoRegex:
    """Compile a Go/RE2 pattern; raises :class:`PatternSyntaxError` when Go would refuse it."""
    return GoRegex(pattern)


def _template_refs(text: str):
    """``(start, end, name)`` of each ``$name``, ``${name}`` or ``$$`` (name ``"$"``) in text."""
    i, n = 0, len(text)
    while True:
        i = text.find("$", i)
        if i < 0 or i + 1 >= n:
            return
        if text[i + 1] == "$":
            yield i, i + 2, "$"
            i += 2
            continue
        if text[i + 1] == "{":
            close = text.find("}", i + 2)
            name = text[i + 2 : close] if close > i + 2 else ""
            if name and all(_is_name_char(c) for c in name):
                yield i, close + 1, name
                i = close + 1
                continue
            i += 1
            continue
        end = i + 1
        while end < n and _is_name_char(text[end]):
            end += 1
        if end > i + 1:
            yield i, end, text[i + 1 : end]
        i = max(end, i + 1)


def _is_name_char(c: str) -> bool:
    return c == "_" or c.isalpha() or c.isdecimal()  # Go: unicode.IsLetter, IsDigit or _


def _is_number(name: str) -> bool:
    return name.isascii() and name.isdigit() and (name == "0" or name[0] != "0")


class Template(Frozen):
    """A parsed extract template: literal text and group references, in order."""

    __slots__ = ("text", "pieces")
    text: str
    # str: literal text; int: group number; tuple: the numbers of the groups of one name
    pieces: tuple[str | int | tuple[int, ...], ...]

    def __init__(self, text: str, pieces: tuple[str | int | tuple[int, ...], ...]) -> None:
        set_field(self, "text", text)
        set_field(self, "pieces", pieces)

    def expand(self, match: GoMatch) -> str:
        out = []
        for piece in self.pieces:
            if isinstance(piece, int):
                out.append(match.group(piece) or "")
            elif isinstance(piece, tuple):
                out.append(_first_taking_part(match, piece))
            else:
                out.append(piece)
        return "".join(out)


def _first_taking_part(match: GoMatch, numbers: tuple[int, ...]) -> str:
    """Go's ``Expand`` for ``$name``: the first group of that name that took part in the match."""
    return next((text for text in map(match.group, numbers) if text is not None), "")


def parse_template(text: str, regex: GoRegex) -> Template:
    """Resolve ``$1``/``$name``/``${name}`` against ``regex``; unknown groups are errors."""
    pieces: list[str | int | tuple[int, ...]] = []
    pos = 0
    for start, end, name in _template_refs(text):
        if start > pos:
            pieces.append(text[pos:start])
        pos = end
        if name == "$":
            pieces.append("$")
            continue
        if _is_number(name):  # Go: a group number has no leading zero
            number = int(name)
            if number > regex.groups:
                raise ValueError(
                    f"${name} refers to group {number}, but the filter has "
                    f"{regex.groups} group{'s' if regex.groups != 1 else ''}"
                )
            pieces.append(number)
        elif numbers := regex.indices_of(name):  # several when Go's duplicate names are used
            pieces.append(numbers[0] if len(numbers) == 1 else numbers)
        else:
            known = ", ".join(sorted(regex.groupindex)) or "none"
            lead = name[: len(name) - len(name.lstrip("0123456789"))]  # $1x means ${1x}
            hint = f"; write ${{{int(lead)}}}{name[len(lead):]} for group {int(lead)}" if lead else ""
            raise ValueError(f"${name} is not a named group of the filter (named groups: {known}){hint}")
    if pos < len(text):
        pieces.append(text[pos:])
    return Template(text, tuple(pieces))
