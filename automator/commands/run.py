"""``automator run``: update the manifests under PATH, make one commit, push it safely.

The command is its option groups (:data:`OPTIONS`: one row per group, each a module in
``automator/commands/options/``) and a loop around one attempt: build the settings once,
``run_once`` them (:mod:`automator.writeback.run`: plan, route, write each part), render the
one result as text or JSON (after the report files, whose failure is an error of the result),
return the exit code.
"""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import replace
from functools import partial
from json import dumps

from automator.commands.options import (
    OptionGroup,
    argocd,
    clone,
    events,
    pull_requests,
    reports,
    rules,
    schedule,
    source,
    strict,
    write,
)
from automator.context import Context
from automator.errors import AutomatorError
from automator.git.message import PLACEHOLDERS
from automator.model import Plan, Problem
from automator.report import json as json_report
from automator.report import text as text_report
from automator.report.publish import write_reports
from automator.result import RunResult
from automator.schedule import exit_code_of, run_scheduled
from automator.settings import Settings

DESCRIPTION = """\
Update the automated images under PATH, make ONE commit for all updates and push it.

PATH is a directory or file inside a git checkout; the repository root is found upward and
only PATH is scanned, so each environment directory can have its own job. The commit goes to
the upstream of the current branch, or to --remote/--branch (a branch per environment).
A push rejected because the branch moved is fetched, rebased and retried with jittered
backoff; when the rebase conflicts the commit is dropped and the run re-plans against the
fresh tree (never downgrading a newer tag that landed meanwhile). No force-push, no merges.
"""

EPILOG = f"""\
message template placeholders (Python string.Template; \\n is a newline, $$ a dollar):
  {", ".join("$" + name for name in PLACEHOLDERS)}
  default: "$summary\\n\\n$updates"

credentials: HTTPS pushes use GIT_TOKEN, GITHUB_TOKEN, GH_TOKEN, GITLAB_TOKEN or CI_JOB_TOKEN
(user name: GIT_USERNAME, default x-access-token) as an http.extraHeader passed through the
environment; it is never written to .git/config or printed.

examples:
  automator run envs/production --tags-from tags.json
  automator run envs/ --remote origin --branch production
  automator run --repo https://github.com/acme/env.git --ref main clusters/prod
  automator run . --no-push --message-template 'chore(images): $summary\\n\\n$updates'
  automator run clusters/prod --pr --label automated --reviewer alice   (docs/pull-requests.md)

JSON (--json): {{"updates", "errors", then the fields of each write (commit, branch, pushed, ...
or pull_requests, or dry_run and message), "exit_code"}}; a run that failed before it had a
result (a refused push, a failed clone): {{"updates": [], "errors": [{{"file", "image",
"message"}}], "exit_code"}}. Warnings go to stderr.

exit codes: 0 done, 1 some file/image/registry failed (the rest was committed),
2 invalid arguments, 3 the commit could not be written or pushed.
"""


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "path",
        nargs="?",
        default=".",
        metavar="PATH",
        help="directory or file to scan, inside a checkout (or inside the clone with --repo); default: .",
    )


def add_output_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("output")
    group.add_argument("--dry-run", action="store_true", help="print the plan and the commit message; change nothing")
    group.add_argument("--json", action="store_true",
                       help="print the result as JSON on stdout; with --every one compact JSON object per attempt, "
                       "one a line (JSON Lines)")


OPTIONS: tuple[OptionGroup, ...] = (
    OptionGroup("path", add_target_arguments, lambda args, ctx: args.path),
    source.GROUP,
    write.GROUP,
    clone.GROUP,
    OptionGroup("dry_run", add_output_arguments, lambda args, ctx: args.dry_run),
    pull_requests.GROUP,
    rules.GROUP,
    events.GROUP,
    strict.GROUP,
    reports.group(json_help=None),
    schedule.GROUP,
    argocd.GROUP,
)

log = logging.getLogger("automator.run")


def run(settings: Settings, ctx: Context) -> int:
    every, health_file = settings.schedule.every, settings.schedule.health_file
    return run_scheduled(partial(attempt, settings, ctx), every=every, health_file=health_file)


def attempt(settings: Settings, ctx: Context) -> int:
    """One run: write back, write the reports, print the result, return the exit code. With
    --json a run that fails before it has a result prints the failure as its JSON object."""
    from automator.writeback.run import run_once

    lines = settings.schedule.every is not None
    try:
        result = run_once(settings, ctx)
    except Exception as error:
        if settings.report.json:
            print_document(json_report.failure_document(str(error), exit_code_of(error, looping=lines)), lines=lines)
        if isinstance(error, AutomatorError):
            _report_failure(settings, ctx, error)
        raise
    result = with_reports(settings, ctx, result)
    print_result(result, json=settings.report.json, lines=lines, quiet=settings.log.quiet, to_stderr=settings.report.on_stdout)
    return result.exit_code


def with_reports(settings: Settings, ctx: Context, result: RunResult) -> RunResult:
    """Write the report files, then the result as printed: a report that could not be written
    is one more error of it, so the exit code printed (--json) is the one the run ends with."""
    from automator.report.files import ReportError

    try:
        write_reports(settings.report, ctx, result.reported, result.change, root=result.root)
    except ReportError as error:
        if settings.report.json:  # the document says it; stderr too, where the failure was always told
            log.error("%s", error)
        failed = Problem(str(error), severity="error")
        return replace(result, plan=replace(result.plan, problems=(*result.plan.problems, failed)))
    return result


def _report_failure(settings: Settings, ctx: Context, error: AutomatorError) -> None:
    """A run that failed before it had a result still leaves its reports (Markdown, dotenv, the
    Action's outputs, summary and an annotation): later jobs read "nothing updated, one
    problem" instead of nothing at all. A report that cannot be written says so in the log."""
    failed = Plan(problems=(Problem(str(error), severity="error"),))
    try:
        write_reports(settings.report, ctx, failed, None, root=None)
    except AutomatorError as report_error:
        log.warning("%s", report_error)


def print_result(result: RunResult, *, json: bool, lines: bool = False, quiet: bool = False, to_stderr: bool = False) -> None:
    """Text, or with ``json`` one JSON document (and the warnings on stderr); ``lines`` (a
    loop): one compact JSON object per line, a line an attempt (JSON Lines). ``quiet``: no
    warnings. ``to_stderr``: stdout carries a report (``--markdown -``), the text goes to stderr."""
    if json:
        print_document({**json_report.result_document(result), "exit_code": result.exit_code}, lines=lines)
        warnings = [p for p in result.problems if p.severity != "error"]
        sys.stderr.write(text_report.problems(warnings, errors_only=quiet))
        return
    out, err = text_report.result_text(result, errors_only=quiet)
    stream = sys.stderr if to_stderr else sys.stdout
    stream.write(out)
    stream.flush()
    sys.stderr.write(err)


def print_document(document: dict, *, lines: bool) -> None:
    """One JSON document on stdout: indented, or compact on one line (``lines``)."""
    sys.stdout.write(dumps(document, ensure_ascii=False) + "\n" if lines else dumps(document, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()
