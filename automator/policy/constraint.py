"""Semver range constraints with the exact meaning of Masterminds/semver v3.4+.

Grammar: comparators ``= != > < >= <= => =< ~ ~> ^`` (none means ``=``) before a version
that may be partial (``1``, ``1.2``) or hold wildcards (``x X *``); AND by whitespace or
comma; OR by ``||``; hyphen ranges ``A - B`` (spaces required). The empty constraint, a
missing separator (``>=1.2<2``) and four-part versions are errors.

Prereleases: a prerelease version only qualifies through an OR-group in which at least one
comparator carries a prerelease (``>=1.0.0-0 <2.0.0``); inside such a group a prerelease of
*any* version in range qualifies (not npm's same-patch rule).
"""

from __future__ import annotations

from collections.abc import Callable

from automator.frozen import Frozen, set_field
from automator.policy.constraint_scan import GO_SPACE, LeftoverHyphen, rewrite_ranges, scan_terms
from automator.policy.version import VersionKey, parse_key, prerelease_key, uint64


class ConstraintSyntaxError(ValueError):
    """A constraint that Masterminds/semver would refuse; the message says which part."""


def _is_x(part: str) -> bool:
    return part in ("x", "X", "*")


class Comparator(Frozen):
    """One ``op version`` term; ``con`` is the version with wildcards/missing parts as 0."""

    __slots__ = ("op", "text", "major", "minor", "patch", "pre", "key", "dirty", "minor_dirty", "patch_dirty")
    op: str
    text: str
    major: int
    minor: int
    patch: int
    pre: str
    key: VersionKey
    dirty: bool
    minor_dirty: bool
    patch_dirty: bool

    def __init__(self, op: str, text: str, major: int, minor: int, patch: int, pre: str, key: VersionKey,
                 dirty: bool, minor_dirty: bool, patch_dirty: bool) -> None:
        set_field(self, "op", op)
        set_field(self, "text", text)
        set_field(self, "major", major)
        set_field(self, "minor", minor)
        set_field(self, "patch", patch)
        set_field(self, "pre", pre)
        set_field(self, "key", key)
        set_field(self, "dirty", dirty)
        set_field(self, "minor_dirty", minor_dirty)
        set_field(self, "patch_dirty", patch_dirty)

    def __str__(self) -> str:
        return f"{self.op}{self.text}"


def _comparator(term: str, op: str, text: str, major_s: str, minor_s: str, patch_s: str, pre_part: str) -> Comparator:
    dirty = minor_dirty = patch_dirty = False
    ver = text
    if _is_x(major_s):
        ver, dirty = f"0.0.0{pre_part}", True
    elif not minor_s or _is_x(minor_s[1:]):
        ver, dirty, minor_dirty = f"{major_s}.0.0{pre_part}", True, True
    elif not patch_s or _is_x(patch_s[1:]):
        ver, dirty, patch_dirty = f"{major_s}{minor_s}.0{pre_part}", True, True
    parsed = parse_key(ver)
    if parsed is None:
        raise _not_a_version(term, text, (major_s, minor_s[1:], patch_s[1:]))
    key, pre = parsed
    return Comparator(op, text, key[0], key[1], key[2], pre, key, dirty, minor_dirty, patch_dirty)


def _not_a_version(term: str, text: str, numbers: tuple[str, str, str]) -> ConstraintSyntaxError:
    """Why a comparator's version is refused; a long text is shown by its start and length."""
    why = ""
    if any(n.isdigit() and uint64(n) is None for n in numbers):
        why = ": its numbers must be below 2^64, as in Masterminds/semver"
    if len(term) > _SHOWN:
        return ConstraintSyntaxError(f"{text[:_SHOWN]!r}... ({len(text)} characters) is not a version{why}")
    return ConstraintSyntaxError(f"{text!r} in {term!r} is not a version{why}")


_SHOWN = 60  # characters of a refused text that a message shows


# --- the comparator functions: (version key, comparator) -> bool ---------------------------
# Each receives a version that the OR-group already allowed (prereleases handled by caller).


def _not_equal(v: VersionKey, c: Comparator) -> bool:
    if c.dirty:
        if c.major != v[0]:
            return True
        if c.minor != v[1] and not c.minor_dirty:
            return True
        if c.minor_dirty:
            return False
        if c.patch != v[2] and not c.patch_dirty:
            return True
        if c.patch_dirty:
            v_pre = v[4]
            if v_pre or c.pre:
                return v_pre != (prerelease_key(c.pre) or ())
            return False
    return v != c.key


def _greater(v: VersionKey, c: Comparator) -> bool:
    if not c.dirty:
        return v > c.key
    if v[0] > c.major:
        return True
    if v[0] < c.major or c.minor_dirty:
        return False
    if c.patch_dirty:
        return v[1] > c.minor
    return v > c.key


def _less(v: VersionKey, c: Comparator) -> bool:
    return v < c.key


def _greater_equal(v: VersionKey, c: Comparator) -> bool:
    return v >= c.key


def _less_equal(v: VersionKey, c: Comparator) -> bool:
    if not c.dirty:
        return v <= c.key
    if v[0] > c.major:
        return False
    return not (v[0] == c.major and v[1] > c.minor and not c.minor_dirty)


def _tilde(v: VersionKey, c: Comparator) -> bool:
    if v < c.key:
        return False
    if c.major == 0 and c.minor == 0 and c.patch == 0 and not c.minor_dirty and not c.patch_dirty:
        return True  # ~0.0.0 (and ~*) match anything
    if v[0] != c.major:
        return False
    return not (v[1] != c.minor and not c.minor_dirty)


def _tilde_or_equal(v: VersionKey, c: Comparator) -> bool:
    return _tilde(v, c) if c.dirty else v == c.key


def _caret(v: VersionKey, c: Comparator) -> bool:
    if v < c.key:
        return False
    if c.major > 0 or c.minor_dirty:
        return v[0] == c.major
    if v[0] > 0:
        return False
    if c.minor > 0 or c.patch_dirty:
        return v[1] == c.minor
    if v[1] > 0:
        return False
    return v[2] == c.patch


_CHECKS: dict[str, Callable[[VersionKey, Comparator], bool]] = {
    "": _tilde_or_equal,
    "=": _tilde_or_equal,
    "!=": _not_equal,
    ">": _greater,
    "<": _less,
    ">=": _greater_equal,
    "=>": _greater_equal,
    "<=": _less_equal,
    "=<": _less_equal,
    "~": _tilde,
    "~>": _tilde,
    "^": _caret,
}


class Group(Frozen):
    """Comparators joined by AND; ``admits_prereleases`` when one of them carries one."""

    __slots__ = ("comparators", "admits_prereleases", "_checks")
    comparators: tuple[Comparator, ...]
    admits_prereleases: bool
    _checks: tuple[tuple[Callable[[VersionKey, Comparator], bool], Comparator], ...]  # not a field

    def __init__(self, comparators: tuple[Comparator, ...], admits_prereleases: bool) -> None:
        set_field(self, "comparators", comparators)
        set_field(self, "admits_prereleases", admits_prereleases)
        set_field(self, "_checks", tuple((_CHECKS[c.op], c) for c in comparators))

    @property
    def checks(self) -> tuple[tuple[Callable[[VersionKey, Comparator], bool], Comparator], ...]:
        return self._checks


class Constraint(Frozen):
    """A parsed constraint: OR of :class:`Group`. ``check`` answers as Masterminds ``Check``."""

    __slots__ = ("text", "groups")
    text: str
    groups: tuple[Group, ...]

    def __init__(self, text: str, groups: tuple[Group, ...]) -> None:
        set_field(self, "text", text)
        set_field(self, "groups", groups)

    @property
    def mentions_prerelease(self) -> bool:
        return any(g.admits_prereleases for g in self.groups)

    def check_key(self, v: VersionKey) -> bool:
        is_pre = v[3] == 0
        for group in self.groups:
            if is_pre and not group.admits_prereleases:
                continue
            for check, comparator in group.checks:
                if not check(v, comparator):
                    break
            else:
                return True
        return False

    def check(self, tag: str) -> bool:
        parsed = parse_key(tag)
        return parsed is not None and self.check_key(parsed[0])

    def __str__(self) -> str:
        return self.text


def _improper(part: str) -> ConstraintSyntaxError:
    return ConstraintSyntaxError(
        f"improper constraint {part.strip(GO_SPACE)!r}: expected comparators such as '>=1.2' "
        "separated by spaces or commas, with '||' between alternatives "
        "(versions have at most three numeric parts)"
    )


_EMPTY_ALTERNATIVE = "an alternative of '||' is empty: write comparators on both sides of each '||' (e.g. '^1 || ^2')"


def parse_constraint(text: str) -> Constraint:
    """Parse a constraint or raise :class:`ConstraintSyntaxError` naming the bad part.

    Reads the text in one pass (:mod:`automator.policy.constraint_scan`), so a malformed constraint of
    any length is refused in time linear in its length.
    """
    if not text.strip(GO_SPACE):
        raise ConstraintSyntaxError("the constraint is empty (e.g. '>=1.2.0 <2.0.0', '~1.4', '^2')")
    try:
        rewritten = rewrite_ranges(text)
    except LeftoverHyphen as leftover:  # name the alternative of the text as written
        start = text.rfind("||", 0, leftover.at)
        stop = text.find("||", leftover.at)
        raise _improper(text[start + 2 if start >= 0 else 0 : stop if stop >= 0 else len(text)]) from None
    groups = []
    for part in rewritten.split("||"):
        if not part.strip(GO_SPACE):
            raise ConstraintSyntaxError(_EMPTY_ALTERNATIVE)
        terms = scan_terms(part)
        if terms is None:
            raise _improper(part)
        comparators = tuple(_comparator(*term) for term in terms)
        groups.append(Group(comparators, any(c.pre for c in comparators)))
    return Constraint(text, tuple(groups))
