"""Loose semantic versions, read and ordered exactly as Masterminds/semver v3.4+ does.

A tag is a version when it is: an optional lowercase ``v``; one to three numeric parts
(missing parts are 0, leading zeros allowed, each below 2^64); an optional ``-prerelease`` and an optional
``+metadata`` (dot-separated ``[0-9A-Za-z-]`` identifiers; a numeric prerelease identifier
may not have a leading zero). Uppercase ``V``, a fourth numeric part or surrounding
whitespace make a tag *not* a version.

Order: major, minor, patch numerically; a release is above its prereleases; prerelease
identifiers compare numeric against numeric numerically, numeric below alphanumeric,
alphanumeric by ASCII, and a shorter list below a longer one with the same start. Build
metadata never matters.
"""

from __future__ import annotations

import re

from automator.frozen import Frozen, set_field

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Literal

_UINT64_MAX = 2**64 - 1
_UINT64_DIGITS = len(str(_UINT64_MAX))  # 20: a longer run of significant digits overflows

_VERSION = re.compile(
    r"v?([0-9]+)(?:\.([0-9]+))?(?:\.([0-9]+))?"
    r"(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
    r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
)

if TYPE_CHECKING:
    ChangeSize = Literal["major", "minor", "patch", "prerelease"]

# (major, minor, patch, is_release, prerelease identifiers): tuples compare as versions do.
VersionKey = tuple


def uint64(digits: str) -> int | None:
    """The value of a run of ASCII digits (leading zeros allowed) when it fits an unsigned 64-bit
    integer (Go's ``ParseUint``), else None. The length is checked first, so a number of any
    length is answered without converting it (Python refuses ``int()`` beyond 4300 digits)."""
    significant = digits.lstrip("0")
    if len(significant) > _UINT64_DIGITS:
        return None
    number = int(significant or "0")
    return number if number <= _UINT64_MAX else None


def prerelease_key(prerelease: str) -> tuple | None:
    """Sort key of prerelease identifiers (numbers below words, shorter below longer), or
    None when a numeric identifier has a leading zero (``rc.01``), which is not allowed."""
    key = []
    for part in prerelease.split("."):
        # Masterminds compares a part numerically only when it parses as an unsigned 64-bit
        # integer; anything else (including "-1" and huge numbers) compares as ASCII text.
        if part.isdigit():
            if part[0] == "0" and len(part) > 1:
                return None
            number = uint64(part)
            key.append((1, 0, part) if number is None else (0, number, ""))
        else:
            key.append((1, 0, part))
    return tuple(key)


def parse_key(tag: str) -> tuple[VersionKey, str] | None:
    """``(sort key, prerelease)`` of a tag, or None when the tag is not a version.

    This is the fast path used when ordering thousands of tags; :func:`parse_version`
    gives the same answer as a value object.
    """
    m = _VERSION.fullmatch(tag)
    if m is None:
        return None
    major, minor, patch, pre, _ = m.groups()
    if len(tag) < _UINT64_DIGITS:  # the fast path: no part can reach 2**64 (20 digits)
        major, minor, patch = int(major), int(minor or 0), int(patch or 0)
    else:
        major, minor, patch = uint64(major), uint64(minor or "0"), uint64(patch or "0")
        if major is None or minor is None or patch is None:
            return None  # Masterminds' NewVersion refuses a part that overflows uint64
    if pre is None:
        return (major, minor, patch, 1, ()), ""
    pre_key = prerelease_key(pre)
    if pre_key is None:
        return None
    return (major, minor, patch, 0, pre_key), pre


class Version(Frozen):
    """A loosely parsed version; ``original`` is the text exactly as it was given."""

    __slots__ = ("major", "minor", "patch", "prerelease", "metadata", "original")
    major: int
    minor: int
    patch: int
    prerelease: str
    metadata: str
    original: str

    def __init__(self, major: int, minor: int, patch: int, prerelease: str, metadata: str, original: str) -> None:
        set_field(self, "major", major)
        set_field(self, "minor", minor)
        set_field(self, "patch", patch)
        set_field(self, "prerelease", prerelease)
        set_field(self, "metadata", metadata)
        set_field(self, "original", original)

    @property
    def key(self) -> VersionKey:
        """Sort key: ``a.key < b.key`` exactly when version a orders below version b."""
        parsed = parse_key(self.original)
        assert parsed is not None
        return parsed[0]

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            text += f"-{self.prerelease}"
        if self.metadata:
            text += f"+{self.metadata}"
        return text


def parse_version(tag: str) -> Version | None:
    """The version a tag spells (loosely, as Masterminds ``NewVersion``), or None."""
    parsed = parse_key(tag)
    if parsed is None:
        return None
    key, pre = parsed
    m = _VERSION.fullmatch(tag)
    assert m is not None
    return Version(key[0], key[1], key[2], pre, m.group(5) or "", tag)


def compare_versions(a: Version, b: Version) -> int:
    """-1, 0 or 1 as Masterminds ``Version.Compare`` (metadata ignored)."""
    ka, kb = a.key, b.key
    return (ka > kb) - (ka < kb)


def semver_change_size(from_tag: str, to_tag: str) -> ChangeSize | None:
    """How big the step between two version tags is, whichever way it goes.

    ``"major"``, ``"minor"`` or ``"patch"`` name the highest numeric part that differs;
    ``"prerelease"`` means only the prerelease differs (``1.2.3-rc.1`` -> ``1.2.3``).
    None when either tag is not a version or both spell the same version (``v1.2`` and
    ``1.2.0``; build metadata is ignored).
    """
    a, b = parse_version(from_tag), parse_version(to_tag)
    if a is None or b is None:
        return None
    if a.major != b.major:
        return "major"
    if a.minor != b.minor:
        return "minor"
    if a.patch != b.patch:
        return "patch"
    if a.key != b.key:
        return "prerelease"
    return None
