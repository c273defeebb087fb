"""``--every INTERVAL`` and ``--health-file PATH`` (container / cron mode) -> :class:`ScheduleSettings`."""

from __future__ import annotations

import argparse
from pathlib import Path

from automator.commands.options import OptionGroup
from automator.context import Context
from automator.errors import UsageError
from automator.schedule import ScheduleSettings, parse_interval


def interval(text: str) -> float:
    """An argparse ``type``: ``30s``, ``5m``, ``1h30m`` or seconds, more than zero."""
    try:
        return parse_interval(text)
    except UsageError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("schedule (container / cron mode)")
    group.add_argument(
        "--every",
        metavar="INTERVAL",
        type=interval,
        help="run again INTERVAL after each attempt ends (30s, 5m, 1h); default: run once",
    )
    group.add_argument(
        "--health-file",
        metavar="PATH",
        type=Path,
        help="write JSON status (timestamp, last status) here for liveness probes",
    )


def settings(args: argparse.Namespace, ctx: Context) -> ScheduleSettings:
    return ScheduleSettings(every=args.every, health_file=args.health_file)


GROUP = OptionGroup("schedule", add_arguments, settings)
