"""``--rules FILE``: environment rules (default: .automator.yaml found for PATH) -> :class:`RulesSettings`."""

from __future__ import annotations

import argparse
from pathlib import Path

from automator.commands.options import OptionGroup
from automator.commands.options.source import cache_dir
from automator.context import Context
from automator.rules.settings import RulesSettings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("environment rules")
    group.add_argument(
        "--rules",
        metavar="FILE",
        type=Path,
        help="rules file (default: .automator.yaml in PATH or above it, up to the repository root); "
        "with --repo a relative FILE is a file of that repository, as PATH is; see docs/rules.md",
    )


def settings(args: argparse.Namespace, ctx: Context) -> RulesSettings:
    """First-seen times live in the registry cache directory (none with ``--no-cache``)."""
    return RulesSettings(file=args.rules, cache_dir=cache_dir(args, ctx))


GROUP = OptionGroup("rules", add_arguments, settings)
