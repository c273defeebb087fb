"""How each planned update is written, as the rules say: committed, or through a PR."""

from __future__ import annotations

import argparse
from pathlib import Path

from automator.model import Plan
from automator.rules.runtime import RulesRuntime


def split_by_write_mode(plan: Plan, rules: RulesRuntime, root: Path) -> tuple[Plan, Plan]:
    """(updates to commit, updates for pull requests); both keep the plan's problems and uses."""
    commit, pull = [], []
    for update in plan.updates:
        (pull if rules.write_settings(root, update).mode == "pr" else commit).append(update)
    return Plan(tuple(commit), plan.problems, plan.uses), Plan(tuple(pull), plan.problems, plan.uses)


def pull_request_args(args: argparse.Namespace, plan: Plan, rules: RulesRuntime, root: Path) -> argparse.Namespace:
    """``args`` with the labels and grouping that rules give the plan's PR updates added.

    Labels are the union of the command line's and every update's; one PR per image when the
    command line or any update's rule asks for it.
    """
    settings = [rules.write_settings(root, update) for update in plan.updates]
    labels = list(dict.fromkeys([*getattr(args, "label", []), *(label for s in settings for label in s.labels)]))
    per = "image" if getattr(args, "pr_per", "run") == "image" or any(s.pr_group == "image" for s in settings) else "run"
    return argparse.Namespace(**{**vars(args), "label": labels, "pr_per": per})
