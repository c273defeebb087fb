"""``automator recover [PATH]``: what an interrupted run left behind, and what recovery does."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from automator.commands.options import OptionGroup
from automator.context import Context
from automator.errors import ExitCode, scrub
from automator.git.recover import RecoveryReport, RecoverySettings
from automator.settings import Settings

DESCRIPTION = """\
Show what the run marker of an interrupted `automator run` holds (the files it wrote, the
commits it moved between, its temporary worktrees, git lock files) and what recovery would do:
which files it restores (only those still holding exactly what the run wrote), which it leaves
alone because they changed since, and what stops it. Nothing changes without --apply; the next
`automator run` in the checkout does the same recovery by itself.
"""
EPILOG = """\
examples:
  automator recover                     # look at the checkout that holds the current directory
  automator recover clusters/prod --json
  automator recover --apply             # recover now instead of at the next run

exit codes: 0 shown (or recovered), 2 not a checkout, 3 recovery is blocked (a git lock file that
may be in use, a rebase someone else started); the message names the file and the command
that clears it. The marker stays until recovery succeeds.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", nargs="?", default=".", metavar="PATH", type=Path, help="a path inside the checkout (default: .)")
    parser.add_argument("--apply", action="store_true", help="do the recovery (under the run lock) instead of showing it")
    parser.add_argument("--json", action="store_true", help="print the marker and the plan as JSON")


def settings(args: argparse.Namespace, ctx: Context) -> RecoverySettings:
    return RecoverySettings(args.path, args.apply, args.json)


OPTIONS = (OptionGroup("recover", add_arguments, settings),)


def run(settings: Settings, ctx: Context) -> int:
    from automator.git.recover import inspect_or_recover
    from automator.git.workspace import Workspace

    recover = settings.recover
    report = inspect_or_recover(Workspace.open(recover.path), recover)
    if recover.json:
        print(scrub(json.dumps(report.document(), indent=2, ensure_ascii=False)))
    else:
        sys.stdout.write(scrub(render(report)))
    blocked = report.plan.blockers and not recover.apply
    return int(ExitCode.WRITE_FAILED if blocked else ExitCode.OK)


def render(report: RecoveryReport) -> str:
    seen, plan = report.seen, report.plan
    marker = seen.marker
    lines = []
    if marker is None:
        lines.append(f"no interrupted run in {seen.root}")
    else:
        state = "gone" if seen.process_gone else "still running"
        lines.append(f"interrupted run in {seen.root}: process {marker.pid} ({state}), path {marker.scan}, on {marker.original}"
                     + (" (worked on a detached HEAD)" if marker.detached else ""))
        lines.append(f"  base {marker.base[:12]}, commits it moved between: {', '.join(c[:12] for c in marker.commits)}")
        for entry in seen.journal:
            lines.append(f"  wrote {entry.path}" + (" (created it)" if entry.before is None else ""))
    for scratch in seen.scratch:
        lines.append(f"temporary worktree {scratch.worktree or scratch.temp_dir} of process {scratch.pid}"
                     + (" (gone)" if scratch.owner_gone else " (running)"))
    if plan.steps:
        lines.append("recovery " + ("did:" if report.applied else "would:"))
        lines.extend(f"  {step.action} {step.target}: {step.why}" for step in plan.steps)
    for path, why in plan.kept:
        lines.append(f"  leave {path}: {why}")
    for note in plan.notes:
        lines.append(f"  note: {note}")
    for blocker in plan.blockers:
        lines.append(f"blocked: {blocker.message}\n  to clear it: {blocker.command}")
    if not plan.needed and marker is None and not seen.scratch:
        lines.append("nothing to recover")
    return "\n".join(lines) + "\n"
