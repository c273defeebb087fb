"""``-v``/``-q`` of every command -> :class:`LogSettings`; the progress of planning."""

from __future__ import annotations

import argparse

from automator.commands.options import OptionGroup
from automator.context import Context
from automator.log import LogSettings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("logging")
    group.add_argument("-v", "--verbose", action="count", default=0, help="more log lines (repeat for debug)")
    group.add_argument("-q", "--quiet", action="store_true", help="only errors on stderr")


def settings(args: argparse.Namespace, ctx: Context) -> LogSettings:
    return LogSettings(verbose=args.verbose, quiet=args.quiet, no_color=bool(ctx.get("NO_COLOR")))


GROUP = OptionGroup("log", add_arguments, settings)
