"""``automator update PATH``: patch the automated image values in place (or show the diff)."""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import TextIO

from automator.commands._manifests import PLAN_OPTIONS, plan_for
from automator.commands.options import OptionGroup, reports
from automator.context import Context
from automator.errors import ExitCode
from automator.model import Plan, Problem
from automator.report import text as text_report
from automator.report.publish import write_reports
from automator.settings import Settings

DESCRIPTION = """\
Patch the manifests under PATH so every automated image runs the tag its policy chooses.

Only the bytes of the image values change; every file is re-parsed and re-located before it is
written (atomically) and left alone unless exactly the planned values changed. --dry-run
prints the same change as a unified diff and writes nothing.

Automated images are found as for scan: Flux v1 annotations (incl. HelmRelease values), Flux v2
$imagepolicy markers, Kustomization images: and automator.dev/ annotations.
"""
EPILOG = """\
examples:
  automator update clusters/prod --tags-from tags.yaml --dry-run   # the diff, nothing written
  automator update clusters/prod --tags-from tags.yaml             # patch in place
  automator update clusters/prod/web.yaml                          # one file; tags from the registries

exit codes: 0 everything processed (updates or not), 1 some automated file or image could not
be processed (the rest was done), 2 invalid arguments or configuration, 130 interrupted
(SIGINT/SIGTERM): every file already written is put back, unless changed meanwhile (named).
"""


def add_dry_run(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dry-run", action="store_true", help="print a unified diff instead of writing")


def dry_run(args: argparse.Namespace, ctx: Context) -> bool:
    return args.dry_run


OPTIONS = (*PLAN_OPTIONS, reports.group(json_help=None), OptionGroup("dry_run", add_dry_run, dry_run))


def run(settings: Settings, ctx: Context) -> int:
    root, plan = plan_for(settings, ctx)
    out = sys.stderr if settings.report.on_stdout else sys.stdout  # stdout is the report's alone when one goes there
    if settings.dry_run:
        patched, failed = show_diff(root, plan, out)
    else:
        patched, failed = write_files(root, plan, out)
    reported = done_plan(plan, patched, failed)
    write_reports(settings.report, ctx, reported, root=root, stdout_is_document=settings.dry_run)
    sys.stderr.write(text_report.problems(reported.problems, errors_only=settings.log.quiet))
    return int(ExitCode.PARTIAL if reported.errors else ExitCode.OK)


def done_plan(plan: Plan, patched: Collection[str], failed: Sequence[Problem]) -> Plan:
    """The plan the reports show: the updates of the files patched (written, or shown as a
    diff), and the files that could not be as problems."""
    updates = tuple(u for u in plan.updates if u.use.file in patched)
    return Plan(updates, (*plan.problems, *failed), plan.uses)


def show_diff(root: Path, plan: Plan, out: TextIO) -> tuple[set[str], list[Problem]]:
    """--dry-run: a unified diff on ``out`` of every file that could be patched; the others as
    problems."""
    from automator.run import patched_files

    patched: set[str] = set()
    failed: list[Problem] = []
    for item in patched_files(root, plan):
        if isinstance(item, Problem):
            failed.append(item)
            continue
        name, old, new = item
        patched.add(name)
        diff = difflib.unified_diff(diff_lines(old), diff_lines(new), f"a/{name}", f"b/{name}")
        out.writelines(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in diff)
    return patched, failed


def diff_lines(text: str) -> list[str]:
    """The lines of ``text`` as git and patch see them: split after each ``\n`` only. A CR, a
    form feed or U+2028 (which ``str.splitlines`` also breaks at) is part of its line."""
    lines = [line + "\n" for line in text.split("\n")]
    lines[-1] = lines[-1][:-1]
    return lines if lines[-1] else lines[:-1]


def write_files(root: Path, plan: Plan, out: TextIO) -> tuple[set[str], list[Problem]]:
    """Patch the files in place (all or nothing when interrupted); one line per update written
    on ``out``."""
    from automator.commands._rollback import all_or_nothing
    from automator.run import write_plan

    with all_or_nothing(root) as rollback:  # interrupted: every file put back, exit 130
        changed, failed = write_plan(root, plan, before_write=rollback.record)
    done = set(changed)
    for u in plan.updates:
        if u.use.file in done:
            out.write(f"{u.use.file}: {u.use.image.repository} {u.from_tag or '(none)'} -> {u.to_tag}\n")
    if not plan.updates:
        out.write(text_report.table(plan))
    return done, failed
