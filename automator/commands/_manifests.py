"""What ``scan`` and ``update`` share: the PATH argument and building the plan."""

from __future__ import annotations

import argparse
from pathlib import Path

from automator.commands.options import (
    add_rules_options,
    add_source_options,
    planning_progress,
    rules_from_args,
    tag_source_from_args,
)
from automator.context import Context
from automator.errors import UsageError
from automator.model import Plan


def add_path_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", metavar="PATH", type=Path, help="a directory of manifests or one manifest file")
    add_source_options(parser)
    add_rules_options(parser)


def root_of(path: Path) -> Path:
    """File names in reports are relative to PATH (the file name itself when PATH is a file)."""
    return path if path.is_dir() else path.parent


def plan_for(args: argparse.Namespace, ctx: Context) -> tuple[Path, Plan]:
    root, plan, _rules = plan_with_rules(args, ctx)
    return root, plan


def plan_with_rules(args: argparse.Namespace, ctx: Context):
    """The plan for PATH and the rules runtime that made it (its decisions explain it)."""
    path: Path = args.path
    if not path.exists():
        raise UsageError(f"{path}: no such file or directory")
    source = tag_source_from_args(args, ctx)
    root = root_of(path)
    from automator.run import make_plan

    rules = rules_from_args(args, ctx, root, path)
    with planning_progress(args, ctx) as progress:
        return root, make_plan(root, source, scan_path=path, rules=rules, progress=progress), rules
