"""How each planned update is written, as the rules say: routing a plan to write strategies (pure).

:func:`route` splits a plan into one plan per write strategy (``commit``, ``pr``, ...); every
part keeps the plan's problems and uses. :func:`pull_request_settings` adds what rules say
about the pull requests of a part (labels, one per image).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from automator.forge.settings import PullRequestSettings
from automator.model import Plan, Update
from automator.rules.match import change_size, matching_rules
from automator.rules.runtime import RulesRuntime

StrategyOf = Callable[[Update], str]


def route(plan: Plan, strategy_of: StrategyOf) -> dict[str, Plan]:
    """``{strategy: the plan of the updates it writes}``, in the order strategies first appear."""
    parts: dict[str, list[Update]] = {}
    for update in plan.updates:
        parts.setdefault(strategy_of(update), []).append(update)
    return {name: Plan(tuple(updates), plan.problems, plan.uses) for name, updates in parts.items()}


def by_rules(rules: RulesRuntime, root: Path) -> StrategyOf:
    """The write strategy each update's rule names (``write: commit|pr``; promotions: ``pr``)."""

    def strategy_of(update: Update) -> str:
        return rules.write_settings(root, update).mode

    return strategy_of


def everything_to(strategy: str) -> StrategyOf:
    """All updates to one strategy, whatever the rules say (``--pr``, ``--dry-run``)."""

    def strategy_of(update: Update) -> str:
        return strategy

    return strategy_of


def pull_request_settings(settings: PullRequestSettings, plan: Plan, rules: RulesRuntime, root: Path) -> PullRequestSettings:
    """``settings`` with the labels and grouping that rules give the plan's updates added.

    Labels are the union of the command line's and every update's; the images whose rule says
    ``pr: {group: image}`` get a PR each, the others keep the command line's grouping (an
    update does not move between PRs because another image's rule matched this run).
    """
    written = [rules.write_settings(root, update) for update in plan.updates]
    labels = tuple(dict.fromkeys([*settings.labels, *(label for w in written for label in w.labels)]))
    apart = frozenset(u.use.image.repository for u, w in zip(plan.updates, written, strict=True) if w.pr_group == "image")
    return replace(settings, labels=labels, apart=settings.apart | apart)


def write_reason(rules: RulesRuntime, root: Path, update: Update) -> str:
    """Why an update is written the way it is: the rule that says ``write:`` (the last one that
    matches and says it), else the default for promotions or for everything else."""
    mode = rules.write_settings(root, update).mode
    path = rules.rule_path(root, update.use.file)
    size = change_size(update.from_tag, update.to_tag)
    deciding = [r for r in matching_rules(rules.rules, path, update.use.image.repository, size) if r.settings.write]
    if deciding:
        return f"{deciding[-1].where} says write: {mode}"
    upstream = rules.promotion_of(update)
    if upstream is not None or update.reason.startswith("promoted from "):
        source = f"promoted from {upstream.path}" if upstream is not None else update.reason.partition(": ")[0]
        return f"{source}: promotions go to a pull request unless a rule says write: commit"
    return f"write: {mode} is the default"

