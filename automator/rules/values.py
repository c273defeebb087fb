"""Parsers for the small value languages of rule files: durations, weekly times, globs."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from functools import lru_cache
from string import Formatter

from automator.errors import ImageRefError
from automator.imageref import normalise_repository
from automator.policy.pattern import GoRegex, compile_go_regex

_DURATION = re.compile(r"(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?\Z")
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEK_TIME = re.compile(r"([A-Za-z]+)\s+(\d{1,2}):(\d{2})\Z")
MINUTES_PER_WEEK = 7 * 24 * 60
FOLLOW_PLACEHOLDERS = ("file", "dir", "name")
_UPPERCASE = re.compile(r"[A-Z]")


def parse_duration(text: str) -> timedelta:
    """``"24h"``, ``"1d12h"``, ``"90m"``, ``"2w"`` -> timedelta; ValueError otherwise."""
    match = _DURATION.match(text.strip())
    if not text.strip() or not match or not any(match.groups()):
        raise ValueError(f"invalid duration {text!r}: write e.g. 30m, 24h, 2d, 1w or 1d12h")
    weeks, days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)


def format_duration(value: timedelta) -> str:
    """``1d12h``, ``3h5m``, ``90s`` -> at most two units, the largest ones, rounded down."""
    seconds = max(int(value.total_seconds()), 0)
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count or parts:
            parts.append(f"{count}{unit}" if count else "")
    return "".join(parts[:2]) or "0s"


def parse_week_time(text: str) -> int:
    """``"Fri 16:00"`` -> minutes since Monday 00:00; ValueError otherwise."""
    match = _WEEK_TIME.match(text.strip())
    if not match:
        raise ValueError(f"invalid weekly time {text!r}: write a day and a time, e.g. 'Fri 16:00'")
    word, hour, minute = match.group(1).lower(), int(match.group(2)), int(match.group(3))
    if word not in _DAYS and word not in _FULL_DAYS:
        raise ValueError(f"invalid day in {text!r}: use Mon, Tue, Wed, Thu, Fri, Sat or Sun")
    if hour > 24 or minute > 59 or (hour == 24 and minute):
        raise ValueError(f"invalid time of day in {text!r}")
    return _DAYS.index(word[:3]) * 24 * 60 + hour * 60 + minute


@lru_cache(maxsize=512)
def glob_regex(pattern: str) -> GoRegex:
    """Path glob: ``*`` and ``?`` stay within one path component, ``**`` crosses them.

    Compiled to Go's RE2, so matching takes time linear in the path whatever the glob.
    """
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and "]" in pattern[i + 2 :]:
            end = pattern.index("]", i + 2)
            out.append(_glob_class(pattern[i + 1 : end]))
            i = end + 1
        else:
            out.append(_literal(pattern[i]))
            i += 1
    return compile_go_regex("(?s)" + "".join(out) + r"\z")


def _literal(char: str) -> str:
    return "\\" + char if char.isascii() and not char.isalnum() and char != "_" else char


def _glob_class(body: str) -> str:
    """``[abc]``, ``[a-z]``, ``[!0-9]`` (or ``[^0-9]``) as an RE2 class; every other character
    in it is literal, and a reversed range (``[z-a]``) adds nothing."""
    negate = body.startswith(("!", "^"))
    chars, parts, j = body[1:] if negate else body, [], 0
    while j < len(chars):
        if j + 2 < len(chars) and chars[j + 1] == "-":
            if chars[j] <= chars[j + 2]:
                parts.append(f"{_literal(chars[j])}-{_literal(chars[j + 2])}")
            j += 3
        else:
            parts.append(_literal(chars[j]))
            j += 1
    if not parts:
        return "[^\\x00-\\x{10FFFF}]" if not negate else "[\\x00-\\x{10FFFF}]"
    return "[" + ("^" if negate else "") + "".join(parts) + "]"


def normalise_image_glob(pattern: str) -> str:
    """Write an image glob in the normalised form repositories are matched in.

    ``nginx`` -> ``docker.io/library/nginx``; ``acme/*`` -> ``docker.io/acme/*``;
    ``ghcr.io/acme/**`` and ``*`` / ``**`` stay as written.
    """
    if pattern in ("*", "**"):
        return "**"
    if not any(ch in pattern for ch in "*?["):
        try:
            return normalise_repository(pattern)
        except ImageRefError as error:
            raise ValueError(str(error)) from None
    first, sep, rest = pattern.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost" or first.startswith("*")):
        return f"{first.lower()}/{_lowercase_path(rest, pattern)}"  # the registry host is not case-sensitive
    path = _lowercase_path(pattern, pattern)
    return f"docker.io/{path}" if sep else f"docker.io/library/{path}"


def _lowercase_path(path: str, pattern: str) -> str:
    """A repository path in a glob: repositories are lowercase, so an uppercase glob never matches."""
    if _UPPERCASE.search(path):
        raise ValueError(f"image glob {pattern!r} has uppercase letters: repository names are lowercase")
    return path


def follow_path_parts(template: str) -> list[tuple[str, str | None]]:
    """The ``(literal text, placeholder)`` pieces of a follow path such as ``staging/{name}``;
    ValueError names a placeholder other than ``{file}``, ``{dir}`` and ``{name}``, a
    conversion or format spec, or a lone brace (``{{`` and ``}}`` stand for braces)."""
    try:
        parts = list(Formatter().parse(template))
    except ValueError as error:
        raise ValueError(f"follow path {template!r}: {error} (write {{{{ or }}}} for a literal brace)") from None
    for _literal, field, spec, conversion in parts:
        if field is None:
            continue
        written = "{" + field + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
        if field not in FOLLOW_PLACEHOLDERS or spec or conversion:
            known = ", ".join("{" + name + "}" for name in FOLLOW_PLACEHOLDERS)
            raise ValueError(f"unknown placeholder {written} in follow path {template!r} (use {known})")
    return [(literal, field) for literal, field, _spec, _conversion in parts]


def expand_follow_path(template: str, values: Mapping[str, str]) -> str:
    """The follow path with its placeholders replaced (checked by :func:`follow_path_parts`)."""
    return "".join(literal + (values[field] if field is not None else "") for literal, field in follow_path_parts(template))
