"""``--strict``: typo warnings (annotations naming no container, unknown keys, markers naming
no ImagePolicy) become errors. Warnings about infrastructure are never promoted."""

from __future__ import annotations

import argparse

from automator.commands.options import OptionGroup
from automator.context import Context


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--strict",
        action="store_true",
        help="make typo warnings errors (exit 1): annotations naming no container, unknown "
        "automator.dev/ keys, markers naming no ImagePolicy",
    )


def settings(args: argparse.Namespace, ctx: Context) -> bool:
    return bool(args.strict)


GROUP = OptionGroup("strict", add_arguments, settings)
