"""Which rules apply to an image in a file, and the settings they add up to (pure)."""

from __future__ import annotations

import re
from functools import lru_cache

from automator.rules.model import ChangeSize, Rule, RuleSet, Settings
from automator.rules.values import glob_regex

_VERSION = re.compile(r"[vV]?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:[-+.].*)?\Z")


def rule_applies(rule: Rule, path: str, repository: str, change: ChangeSize | None = None) -> bool:
    """``path`` is relative to the rules file's directory (POSIX); ``repository`` normalised.

    A rule with a ``change`` condition applies only to a candidate of one of those sizes.
    """
    match = rule.match
    if match.paths and not any(glob_regex(g).match(path) for g in match.paths):
        return False
    if match.images and not any(glob_regex(g).match(repository) for g in match.images):
        return False
    return not match.change or change in match.change


def settings_for(rules: RuleSet, path: str, repository: str, change: ChangeSize | None = None) -> Settings:
    """All applicable rules merged in order: the last rule that says a key wins."""
    settings = Settings()
    for rule in rules.rules:
        if rule_applies(rule, path, repository, change):
            settings = rule.settings.over(settings)
    return settings


def matching_rules(rules: RuleSet, path: str, repository: str, change: ChangeSize | None = None) -> tuple[Rule, ...]:
    return tuple(r for r in rules.rules if rule_applies(r, path, repository, change))


@lru_cache(maxsize=4096)
def version_triple(tag: str) -> tuple[int, int, int] | None:
    """``v1.2.3-rc1`` -> (1, 2, 3); ``1.2`` -> (1, 2, 0); None for tags that are no version."""
    match = _VERSION.match(tag)
    if not match:
        return None
    major, minor, patch = (int(g) if g is not None else 0 for g in match.groups())
    return major, minor, patch


def change_size(current: str | None, candidate: str) -> ChangeSize | None:
    """How big a move from ``current`` to ``candidate`` is; None when either is no version.

    The first component that differs decides (``1.2.3 -> 1.2.4`` patch, ``-> 1.3.0`` minor,
    ``-> 2.0.0`` major); a move to a pre-release of the same version counts as a patch.
    """
    if not current:
        return None
    old, new = version_triple(current), version_triple(candidate)
    if old is None or new is None:
        return None
    if old[0] != new[0]:
        return "major"
    if old[1] != new[1]:
        return "minor"
    return "patch"
