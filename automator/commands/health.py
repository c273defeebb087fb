"""``automator health FILE``: exit 0 when the health file of a scheduled run is fresh."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from automator.commands.options import OptionGroup
from automator.commands.options.schedule import interval
from automator.context import Context
from automator.errors import ExitCode
from automator.schedule import check_health
from automator.settings import Settings
from automator.values import value_type

DESCRIPTION = """\
Exit 0 when FILE, the health file that `automator run --health-file FILE` keeps, was written
less than --max-age ago: a liveness probe for the container / cron mode that needs no HTTP.
A scheduled run rewrites the file at each attempt's start and end and every 30 s while it
waits, so a stale file means the loop is stuck or gone.
"""
EPILOG = """\
examples:
  automator health /tmp/automator/health                 # fresh within 10 minutes?
  automator health /tmp/automator/health --max-age 2m
  automator health /tmp/automator/health --fail-on-failed   # a failed attempt is unhealthy too
  python -m automator.schedule check /tmp/automator/health --max-age 10m   # the older spelling

exit codes: 0 fresh (the status line goes to stdout), 1 stale, missing or unreadable (the
reason goes to stderr), 2 invalid arguments.
"""


@value_type
class HealthSettings:
    file: Path
    max_age: float = 600.0
    fail_on_failed: bool = False


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", type=Path, help="the health file written by --health-file")
    parser.add_argument("--max-age", metavar="AGE", type=interval, default=600.0, help="oldest status still healthy (default: 10m)")
    parser.add_argument("--fail-on-failed", action="store_true",
                        help="exit 1 when the last attempt failed, even if the file is fresh (default: a fresh file is "
                        "healthy, so a liveness probe does not restart a pod over one failed attempt)")


def settings(args: argparse.Namespace, ctx: Context) -> HealthSettings:
    return HealthSettings(args.file, args.max_age, args.fail_on_failed)


OPTIONS = (OptionGroup("health", add_arguments, settings),)


def run(settings: Settings, ctx: Context) -> int:
    ok, summary = check_health(settings.health.file, settings.health.max_age, fail_on_failed=settings.health.fail_on_failed)
    print(summary, file=sys.stdout if ok else sys.stderr)
    return int(ExitCode.OK if ok else ExitCode.PARTIAL)
