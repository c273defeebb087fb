"""The git configuration of a checkout, read once per run (parsing is pure).

A run needs several settings (``user.name``/``user.email``, the branch's upstream, the
remote's URL, an ``http.*.extraHeader`` of its own, ``commit.gpgsign``, the object format).
``git config -z --list`` answers all of them in one process, with git's own rules for which
files count (system, global, local, worktree, ``include``/``includeIf``, and variables given
through ``GIT_CONFIG_COUNT``/``-c``). Nothing the run does changes the configuration, so the
snapshot holds for the whole run.
"""

from __future__ import annotations

import re
from dataclasses import field

from automator.values import value_type

TRUE = ("true", "yes", "on", "1")
FALSE = ("false", "no", "off", "0", "")


def canonical(key: str) -> str:
    """A key as ``git config --list`` spells it: section and name in lower case, a
    subsection (``branch.<name>``, ``remote.<name>``, ``http.<url>``) as it is."""
    section, _, rest = key.partition(".")
    middle, _, name = rest.rpartition(".")
    return ".".join(part for part in (section.lower(), middle, name.lower()) if part) if rest else key.lower()


@value_type
class GitConfig:
    """Every ``key -> [values]`` in the order git reads them (``None``: a key with no ``=``)."""

    values: dict[str, tuple[str | None, ...]] = field(default_factory=dict)

    @classmethod
    def parse(cls, listing: str) -> GitConfig:
        """Parse ``git config -z --list``: entries ``key\\nvalue`` ended by NUL."""
        values: dict[str, list[str | None]] = {}
        for entry in listing.split("\0"):
            if not entry:
                continue
            key, newline, value = entry.partition("\n")
            values.setdefault(key, []).append(value if newline else None)
        return cls({key: tuple(found) for key, found in values.items()})

    def get(self, key: str) -> str | None:
        """The value git would answer to ``git config --get KEY`` (the last one), or None."""
        found = self.values.get(canonical(key))
        if not found:
            return None
        return "" if found[-1] is None else found[-1]

    def has(self, key: str) -> bool:
        return canonical(key) in self.values

    def get_all(self, key: str) -> tuple[str, ...]:
        return tuple("" if value is None else value for value in self.values.get(canonical(key), ()))

    def get_bool(self, key: str) -> bool | None:
        """``git config --bool --get KEY``: None when unset or not a boolean."""
        found = self.values.get(canonical(key))
        if not found:
            return None
        value = found[-1]
        if value is None:
            return True
        lowered = value.strip().lower()
        return True if lowered in TRUE else False if lowered in FALSE else None

    def get_int(self, key: str, default: int) -> int:
        """An integer setting (with git's ``k``/``m``/``g`` suffixes); ``default`` when unset
        or unreadable."""
        value = (self.get(key) or "").strip().lower()
        match = re.fullmatch(r"(-?\d+)([kmg]?)", value)
        if not match:
            return default
        return int(match.group(1)) * {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[match.group(2)]

    def matching(self, pattern: str) -> list[tuple[str, str]]:
        """``git config --get-regexp PATTERN``: every (key, value) whose key matches."""
        compiled = re.compile(pattern)
        return [
            (key, "" if value is None else value)
            for key, found in self.values.items()
            if compiled.search(key)
            for value in found
        ]
