"""``automator run``: update the manifests under PATH, make one commit, push it safely.

Extension points for other parts:

* :data:`ARGUMENT_GROUPS`: append one ``add_<name>_arguments(parser)`` function to add an
  option group (pull requests, schedules, rules);
* :func:`planner_options`: extra keyword arguments for ``make_plan`` (``rules=...``);
* :func:`write_back`: the write step (commit + push); a pull-request mode branches here.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from automator import schedule
from automator.commands.options import (
    add_report_options,
    add_rules_options,
    add_source_options,
    planning_progress,
    rules_from_args,
    tag_source_from_args,
    write_reports,
)
from automator.context import Context
from automator.errors import ExitCode, UsageError, scrub
from automator.git.backoff import RetryPolicy
from automator.git.identity import DEFAULT_AUTHOR, parse_identity
from automator.git.message import PLACEHOLDERS, check_template
from automator.model import Change, Plan, Problem
from automator.report import text as text_report
from automator.report.json import plan_dict
from automator.rules.write import pull_request_args, split_by_write_mode

if TYPE_CHECKING:
    from automator.git.writer import WriteResult

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


def add_git_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("push")
    group.add_argument("--remote", metavar="R", help="remote to push to (default: the upstream of the current branch)")
    group.add_argument("--branch", metavar="B", help="branch to push to: a branch per environment (default: the upstream branch)")
    group.add_argument("--no-push", action="store_true", help="commit on the current branch, do not push")
    group.add_argument("--max-attempts", type=int, default=RetryPolicy.max_attempts, metavar="N", help="give up after N pushes (default: %(default)s)")
    group.add_argument("--retry-timeout", type=float, default=RetryPolicy.max_seconds, metavar="SECONDS", help="give up retrying after this long (default: %(default)s)")


def add_commit_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("commit")
    group.add_argument("--message-template", metavar="T", help="commit message template, or @FILE to read it from a file (placeholders below)")
    group.add_argument("--author", metavar='"NAME <EMAIL>"', help=f"commit author (default: {DEFAULT_AUTHOR}); the committer is git's user.name/user.email, or the author when unset")


def add_clone_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("clone mode")
    group.add_argument("--repo", metavar="URL", help="clone URL (shallow) into a temp dir, run there, push, clean up")
    group.add_argument("--ref", metavar="BRANCH", help="branch to clone (default: the remote's default branch)")


def add_output_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("output")
    group.add_argument("--dry-run", action="store_true", help="print the plan and the commit message; change nothing")
    group.add_argument("--json", action="store_true", help="print the result as JSON on stdout")


def add_pull_request_arguments(parser: argparse.ArgumentParser) -> None:
    from automator.forge.options import add_arguments as add_pr_arguments

    add_pr_arguments(parser.add_argument_group("pull / merge requests (--pr)"))


ARGUMENT_GROUPS: list[Callable[[argparse.ArgumentParser], None]] = [
    add_target_arguments,
    add_source_options,
    add_git_arguments,
    add_commit_arguments,
    add_clone_arguments,
    add_output_arguments,
    add_pull_request_arguments,
    add_rules_options,
    lambda parser: add_report_options(parser, json_flag=False),
    schedule.add_arguments,
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    for add_group in ARGUMENT_GROUPS:
        add_group(parser)


def planner_options(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    """Extra keyword arguments for ``make_plan`` (rules, progress); extended by other parts."""
    return {"rules": getattr(args, "rules", None)}


def write_options(args: argparse.Namespace):  # -> WriteOptions
    from automator.git.writer import WriteOptions

    template = args.message_template
    if template and template.startswith("@"):
        try:
            template = Path(template[1:]).read_text(encoding="utf-8")
        except OSError as error:
            raise UsageError(f"cannot read the message template {template[1:]}: {error.strerror}") from None
    if template:
        check_template(template)
    if args.max_attempts < 1 or args.retry_timeout <= 0:
        raise UsageError("--max-attempts must be at least 1 and --retry-timeout positive")
    return WriteOptions(
        remote=args.remote,
        branch=args.branch,
        push=not args.no_push,
        message_template=template,
        author=parse_identity(args.author) if args.author else DEFAULT_AUTHOR,
        retry=RetryPolicy(max_attempts=args.max_attempts, max_seconds=args.retry_timeout),
    )


def run(args: argparse.Namespace, ctx: Context) -> int:
    write_options(args)  # argument errors before the first attempt, not in every one
    return schedule.run_scheduled(lambda: run_once(args, ctx), every=args.every, health_file=args.health_file)


def run_once(args: argparse.Namespace, ctx: Context) -> int:
    options = write_options(args)
    source = tag_source_from_args(args, ctx)
    if args.repo:
        from automator.git.clone import cloned

        with cloned(args.repo, args.ref, ctx) as ws:
            return run_in(ws.root / args.path, args, ctx, options, source, ws)
    if args.ref:
        raise UsageError("--ref needs --repo", hint="use --branch to push a local checkout to another branch")
    return run_in(Path(args.path), args, ctx, options, source, None)


def run_in(path: Path, args: argparse.Namespace, ctx: Context, options, source, workspace) -> int:
    from automator import run as pipeline
    from automator.git.workspace import Workspace

    if not path.exists() and workspace is not None:
        from automator.git.credentials import split_url_credentials

        where = split_url_credentials(args.repo)[0] + (f" ({args.ref})" if args.ref else "")
        raise UsageError(f"{args.path} does not exist in {where}", hint="PATH is relative to the repository root")
    if not path.exists():
        raise UsageError(f"{path} does not exist")
    ws = workspace or Workspace.open(path)
    extra = planner_options(args, ctx)
    apply_problems: list[Problem] = []

    made: dict[str, Any] = {}

    def plan_all(root: Path = ws.root, scan: Path = path) -> Plan:  # fresh rules (clock, annotations) for every (re-)plan
        made["rules"] = rules_from_args(args, ctx, root, scan)
        if workspace is not None:  # the tool's own shallow clone: deepen it if a promotion needs history
            made["rules"].unshallow = lambda: ws.try_git("fetch", "--quiet", "--unshallow")[0] == 0
        extra["rules"] = made["rules"]
        with planning_progress(args, ctx) as progress:
            made["plan"] = pipeline.make_plan(root, source, scan_path=scan.resolve(), progress=progress, **extra)
        return made["plan"]

    def replan() -> Plan:  # what is committed: all with --pr off, except updates rules send to PRs
        plan = plan_all()
        return plan if args.pr or args.dry_run else split_by_write_mode(plan, made["rules"], ws.root)[0]

    def apply(plan: Plan) -> list[str]:
        apply_problems.clear()
        try:
            return list(pipeline.apply_plan(ws.root, plan))
        except pipeline.ApplyError as error:  # the files that could be patched are still committed
            apply_problems.extend(error.problems)
            return list(error.changed)

    if args.dry_run:
        plan = replan()
        write_reports(args, ctx, plan, root=ws.root)
        return report_dry_run(plan, args, ws.relative(path))
    if args.pr:
        from automator.forge.options import fresh_base, run_pull_requests

        with fresh_base(args, ctx, ws) as base:  # the pull request is built on the base, so planned there
            plan = plan_all(base, base / ws.relative(path))
            pr_args = pull_request_args(args, plan, made["rules"], base)
        return run_pull_requests(
            pr_args, ctx, ws, path, plan, author=options.author, message_template=options.message_template,
            on_outcomes=lambda outcomes: write_reports(args, ctx, plan, first_pull_request(outcomes), root=ws.root),
        )
    result = write_back(path, replan, apply, options, args=args, ctx=ctx, workspace=ws)
    reviewed = split_by_write_mode(made["plan"], made["rules"], ws.root)[1] if made else Plan()
    code = report(result, args, apply_problems, alone=not reviewed.updates)
    committed = replace(result.plan, problems=(*result.plan.problems, *apply_problems))
    if not reviewed.updates:
        write_reports(args, ctx, committed, result.change, root=ws.root)
        return code
    from automator.forge.options import open_pull_requests, outcome_dict, run_pull_requests

    def publish(outcomes) -> None:
        pr = first_pull_request(outcomes)
        change = replace(result.change, pr_url=pr.pr_url) if result.change and pr else (result.change or pr)
        both = replace(committed, updates=(*committed.updates, *reviewed.updates))
        write_reports(args, ctx, both, change, root=ws.root)

    pr_args = pull_request_args(args, reviewed, made["rules"], ws.root)
    if args.json:  # one document on stdout: the commit and the pull requests
        outcomes = open_pull_requests(pr_args, ctx, ws, path, reviewed, author=options.author, message_template=options.message_template)
        publish(outcomes)
        document = commit_document(result, apply_problems)
        document["updates"] += plan_dict(reviewed)["updates"]
        document["pull_requests"] = [outcome_dict(o) for o in outcomes]
        print(json.dumps(document, indent=2, ensure_ascii=False))
        failed = any(o.action == "failed" for o in outcomes)
        return max(code, int(ExitCode.WRITE_FAILED) if failed else _exit_code(reviewed))
    pr_code = run_pull_requests(
        pr_args, ctx, ws, path, reviewed, author=options.author, message_template=options.message_template, on_outcomes=publish
    )
    return max(code, pr_code)


def first_pull_request(outcomes) -> Change | None:
    """The change of the first pull request ensured (CI outputs carry one ``pr-url``)."""
    changes = [o.change() for o in outcomes if o.pr is not None]
    return changes[0] if changes else None


def write_back(path: Path, replan, apply, options, *, args: argparse.Namespace, ctx: Context, workspace) -> WriteResult:
    """The write step: one commit pushed with rebase-retry. A pull-request mode hooks in here."""
    from automator.git.writer import write_updates

    return write_updates(path, replan, apply, options, ctx=ctx, workspace=workspace)


def _exit_code(plan: Plan, extra: Sequence[Problem] = ()) -> int:
    failed = plan.errors or any(p.severity == "error" for p in extra)
    return int(ExitCode.PARTIAL if failed else ExitCode.OK)


def _print_problems(plan: Plan, extra: Sequence[Problem] = ()) -> None:
    sys.stderr.write(scrub(text_report.problems((*plan.problems, *extra))))


def report_dry_run(plan: Plan, args: argparse.Namespace, scan: str) -> int:
    from automator.git.message import render_message

    template = write_options(args).message_template
    message = render_message(plan, template, path=scan, branch=args.branch or "") if plan.updates else ""
    if args.json:
        print(json.dumps({**plan_dict(plan), "dry_run": True, "message": message}, indent=2, ensure_ascii=False))
    else:
        sys.stdout.write(text_report.table(plan))
        if message:
            print("\ncommit message:\n" + message.rstrip())
        _print_problems(plan)
    return _exit_code(plan)


def commit_document(result: WriteResult, extra: Sequence[Problem] = ()) -> dict[str, Any]:
    """The JSON report of the commit step."""
    change = result.change
    committed = result.plan if change else Plan(problems=result.plan.problems, uses=result.plan.uses)
    return {
        **plan_dict(committed, extra),
        "commit": change.commit if change else None,
        "branch": change.branch if change else None,
        "pushed": result.pushed,
        "attempts": change.attempts if change else 0,
        "replans": result.replans,
        "files": list(result.files),
    }


def report(result: WriteResult, args: argparse.Namespace, extra: Sequence[Problem] = (), *, alone: bool = True) -> int:
    """Print the commit step and return its exit code.

    Not ``alone`` (pull requests follow with the rest of the updates), the JSON document is left
    to the caller and "no updates" is not claimed when nothing was committed."""
    change = result.change
    if args.json:
        if alone:
            print(json.dumps(commit_document(result, extra), indent=2, ensure_ascii=False))
    else:
        if change is not None or alone:
            committed = result.plan if change else Plan(problems=result.plan.problems, uses=result.plan.uses)
            sys.stdout.write(text_report.table(committed))
        if change is not None:
            where = f"pushed to {change.branch} after {change.attempts} attempt(s)" if result.pushed else f"on {change.branch}, not pushed"
            print(f"committed {change.commit[:12]} {where}")
        _print_problems(result.plan, extra)
    return _exit_code(result.plan, extra)
