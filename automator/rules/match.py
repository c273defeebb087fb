"""Which rules apply to an image in a file, and the settings they add up to (pure)."""

from __future__ import annotations

from automator.policy.version import compare_versions, parse_version, semver_change_size
from automator.rules.model import ChangeSize, Rule, RuleSet, Settings
from automator.rules.values import glob_regex


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


def change_size(current: str | None, candidate: str) -> ChangeSize | None:
    """How big a move from ``current`` to ``candidate`` is (semver, as the policies read it).

    The highest part that differs decides (``1.2.3 -> 1.2.4`` patch, ``-> 1.3.0`` minor,
    ``-> 2.0.0`` major); a move that changes only the pre-release counts as a patch. None when
    either tag is not a version, or there is no current tag.
    """
    if not current:
        return None
    size = semver_change_size(current, candidate)
    return "patch" if size == "prerelease" else size


def is_downgrade(current: str | None, candidate: str) -> bool:
    """Whether both tags are versions and ``candidate`` is the lower one."""
    old, new = parse_version(current or ""), parse_version(candidate)
    return bool(old and new and compare_versions(new, old) < 0)
