"""``PATH``: the directory of manifests (or one manifest file) a command reads."""

from __future__ import annotations

import argparse
from pathlib import Path

from automator.commands.options import OptionGroup
from automator.context import Context


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", metavar="PATH", type=Path, help="a directory of manifests or one manifest file")


def settings(args: argparse.Namespace, ctx: Context) -> Path:
    return args.path


GROUP = OptionGroup("path", add_arguments, settings)
