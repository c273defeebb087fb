"""Environment rules: rule files, filters between tag listing and selection, promotion.

Pure: :func:`parse_rules`, :func:`settings_for`, :func:`select_with_rules`, freeze windows.
Edge: :class:`RulesRuntime` (reads the rules file, first-seen state, git history, digests).
"""

from automator.rules.discover import RULES_FILE_NAMES, find_rules_file, load_rule_set
from automator.rules.filters import select_with_rules
from automator.rules.match import change_size, settings_for
from automator.rules.model import Follow, FreezeWindow, Match, Rule, RuleSet, Settings
from automator.rules.runtime import RulesRuntime, WriteSettings


def __getattr__(name: str):
    """The rule-file reader (and ruamel.yaml behind it) is loaded only when a run reads rules."""
    if name in ("load_rules_file", "parse_rules"):
        from automator.rules import load

        return getattr(load, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "RULES_FILE_NAMES",
    "Follow",
    "FreezeWindow",
    "Match",
    "Rule",
    "RuleSet",
    "RulesRuntime",
    "Settings",
    "WriteSettings",
    "change_size",
    "find_rules_file",
    "load_rule_set",
    "load_rules_file",
    "parse_rules",
    "select_with_rules",
    "settings_for",
]
