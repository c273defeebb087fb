"""Reading constraint text in one pass, exactly as Masterminds/semver's regexes read it.

Masterminds validates and splits a constraint with Go regexes built from one version pattern
(``CV``: ``v?`` then ``[0-9|xX*]+``, up to two ``.[0-9|xX*]+``, ``-prerelease``, ``+build``)
and the operators ``= != > < >= => <= =< ~ ~> ^`` or none. A backtracking engine needs
exponential time on some malformed text (``'1  ' * 16 + '!'`` took 40 s); Go's does not. This
module gives the same answers by scanning:

* after a version, only whitespace, a comma or the end may follow, and a shorter reading of
  the version would leave one of its own characters there, so the greedy reading is the only
  one that can succeed: each version is read once, left to right;
* an operator is the run of operator characters before a version (versions never start with
  one), so it is read once too.

:func:`rewrite_ranges` replaces hyphen ranges (``A - B``) the way Masterminds'
``rewriteRange`` does, quirks included (the version class holds ``|``, and the replacement is
of the first occurrence of the matched text, see :class:`LeftoverHyphen`). Every function is
linear in the text's length.
"""

from __future__ import annotations

GO_SPACE = " \t\n\f\r"  # Go's \s: \v, NBSP and other Unicode spaces are not whitespace
_SPACE = frozenset(GO_SPACE)
_NUM = frozenset("0123456789|xX*")  # the [0-9|x|X|\*] class of a version part
_IDENT = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-")
_OP_CHARS = frozenset("=!<>~^")
_OPS = frozenset(("", "=", "!=", ">", "<", ">=", "=>", "<=", "=<", "~", "~>", "^"))

# (term as written, operator, version text, major, ".minor", ".patch", "-prerelease")
Term = tuple[str, str, str, str, str, str, str]


def _run(s: str, i: int, chars: frozenset[str]) -> int:
    n = len(s)
    while i < n and s[i] in chars:
        i += 1
    return i


def _dotted(s: str, i: int) -> int:
    """End of ``[0-9A-Za-z-]+(\\.[0-9A-Za-z-]+)*`` read greedily from ``i``."""
    n = len(s)
    i = _run(s, i, _IDENT)
    while i + 1 < n and s[i] == "." and s[i + 1] in _IDENT:
        i = _run(s, i + 1, _IDENT)
    return i


def scan_version(s: str, j: int) -> tuple[int, str, str, str, str] | None:
    """The version pattern read greedily at ``j``: (end, major, .minor, .patch, -pre), or None."""
    n = len(s)
    i = j + 1 if j < n and s[j] == "v" else j
    end = _run(s, i, _NUM)
    if end == i:
        return None
    major, minor, patch, pre = s[i:end], "", "", ""
    if end + 1 < n and s[end] == "." and s[end + 1] in _NUM:
        stop = _run(s, end + 1, _NUM)
        minor, end = s[end:stop], stop
        if end + 1 < n and s[end] == "." and s[end + 1] in _NUM:
            stop = _run(s, end + 1, _NUM)
            patch, end = s[end:stop], stop
    if end + 1 < n and s[end] == "-" and s[end + 1] in _IDENT:
        stop = _dotted(s, end + 1)
        pre, end = s[end:stop], stop
    if end + 1 < n and s[end] == "+" and s[end + 1] in _IDENT:
        end = _dotted(s, end + 1)
    return end, major, minor, patch, pre


def scan_terms(part: str) -> list[Term] | None:
    """The comparators of one ``||`` part, or None when Masterminds' validation refuses it.

    The part must be ``\\s* OP \\s* CV \\s*`` followed by any number of ``(\\s+ | ,\\s*) OP \\s*
    CV \\s*``: comparators separated by whitespace or one comma.
    """
    n = len(part)
    i = _run(part, 0, _SPACE)
    terms: list[Term] = []
    while True:
        k = _run(part, i, _OP_CHARS)
        op = part[i:k]
        if op not in _OPS:
            return None
        j = _run(part, k, _SPACE)
        scanned = scan_version(part, j)
        if scanned is None:
            return None
        end = scanned[0]
        terms.append((part[i:end], op, part[j:end], *scanned[1:]))
        after = _run(part, end, _SPACE)
        if after == n:
            return terms
        if part[after] == ",":
            after = _run(part, after + 1, _SPACE)
        elif after == end:  # neither whitespace nor a comma after the version
            return None
        i = after


class LeftoverHyphen(ValueError):
    """A hyphen between spaces that no range consumed, followed by a range to rewrite.

    ``at`` is the hyphen's position in the original text. Such a hyphen stays in the text
    whatever happens next (Masterminds' first-occurrence replacement may consume it, but then
    leaves the later range's hyphen instead), so the constraint is improper; saying so at once
    keeps the rewrite linear instead of searching the rewritten text for every later range.
    """

    def __init__(self, at: int) -> None:
        super().__init__(at)
        self.at = at


def rewrite_ranges(s: str) -> str:
    """Masterminds' ``rewriteRange``: each ``\\s*CV\\s+-\\s+CV\\s*`` match, leftmost first and not
    overlapping, becomes ``>= A, <= B ``.

    Masterminds replaces the first occurrence of the matched text, which is the match itself
    unless a hyphen between spaces was left earlier in the text; in that case
    :class:`LeftoverHyphen` is raised, as the constraint is improper either way.
    """
    n = len(s)
    hyphens = []
    h = s.find("-", 1)
    while 0 < h < n - 1:
        if s[h - 1] in _SPACE and s[h + 1] in _SPACE:
            hyphens.append(h)
        h = s.find("-", h + 1)
    if not hyphens:
        return s
    version_end = _version_ends(s)
    pieces: list[str] = []
    pos = 0
    leftover: int | None = None  # the first hyphen between spaces that stays in the text
    for h in hyphens:
        a = h  # the first version must end where the whitespace before '-' starts
        while a > 0 and s[a - 1] in _SPACE:
            a -= 1
        b = h + 1
        while b < n and s[b] in _SPACE:
            b += 1
        second = version_end(b) if a > pos and b < n else -1
        first = None
        if second >= 0:
            lo = a  # the first version lies in the word before the whitespace
            while lo > pos and s[lo - 1] not in _SPACE:
                lo -= 1
            first = next((q for q in range(lo, a) if version_end(q) == a), None)
        if first is None:
            leftover = h if leftover is None else leftover
            continue
        if leftover is not None:
            raise LeftoverHyphen(leftover)
        start = first
        while start > pos and s[start - 1] in _SPACE:
            start -= 1
        end = _run(s, second, _SPACE)
        pieces += [s[pos:start], f">= {s[first:a]}, <= {s[b:second]} "]
        pos = end
        if end + 1 < n and s[end] == "-" and s[end + 1] in _SPACE:
            leftover = end  # the replacement ends with a space: that '-' is now between spaces
    pieces.append(s[pos:])
    return "".join(pieces)


def _version_ends(s: str):
    """``end(q)``: where the version pattern read greedily at ``q`` ends (-1: none), in O(1)
    per call after one right-to-left pass over ``s``."""
    n = len(s)
    num_end = [0] * (n + 1)
    ident_end = [0] * (n + 1)
    dotted_end = [0] * (n + 2)
    for i in range(n - 1, -1, -1):
        c = s[i]
        if c in _NUM:
            num_end[i] = num_end[i + 1] if i + 1 < n and s[i + 1] in _NUM else i + 1
        if c in _IDENT:
            r = ident_end[i] = ident_end[i + 1] if i + 1 < n and s[i + 1] in _IDENT else i + 1
            dotted_end[i] = dotted_end[r + 1] if r + 1 < n and s[r] == "." and s[r + 1] in _IDENT else r

    def end(q: int) -> int:
        i = q + 1 if s[q] == "v" else q
        if i >= n or s[i] not in _NUM:
            return -1
        e = num_end[i]
        if e + 1 < n and s[e] == "." and s[e + 1] in _NUM:
            e = num_end[e + 1]
            if e + 1 < n and s[e] == "." and s[e + 1] in _NUM:
                e = num_end[e + 1]
        if e + 1 < n and s[e] == "-" and s[e + 1] in _IDENT:
            e = dotted_end[e + 1]
        if e + 1 < n and s[e] == "+" and s[e + 1] in _IDENT:
            e = dotted_end[e + 1]
        return e

    return end
