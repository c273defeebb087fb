"""The ``--pr`` options of ``automator run`` and the function the command calls with a plan.

``automator/commands/run.py`` adds :func:`add_arguments` as an argument group and, when
``args.pr`` is set, calls :func:`run_pull_requests` with the workspace, the scanned path and
the plan instead of committing to the base branch.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from automator.context import Context
from automator.errors import ExitCode, GitError, UsageError, scrub
from automator.forge.base import Forge
from automator.forge.detect import resolve_target as resolve_forge_target
from automator.forge.ensure import Outcome, Settings, ensure_pull_requests
from automator.forge.naming import DEFAULT_TEMPLATE, check_template
from automator.git.identity import DEFAULT_AUTHOR, Identity
from automator.model import Plan

if TYPE_CHECKING:
    from automator.git.branch import BranchPusher
    from automator.git.workspace import Workspace

TOKEN_VARIABLES = {"github": ("GITHUB_TOKEN", "GH_TOKEN"), "gitlab": ("GITLAB_TOKEN", "CI_JOB_TOKEN")}


def add_arguments(group: argparse._ActionsContainer) -> None:
    group.add_argument(
        "--pr",
        "--mr",
        dest="pr",
        action="store_true",
        help="push a deterministic branch and keep one pull/merge request open for it instead of pushing to the base",
    )
    group.add_argument("--forge", choices=("github", "gitlab"), help="forge kind (default: detected from the remote URL)")
    group.add_argument(
        "--forge-url",
        metavar="URL",
        help="API base for GitHub Enterprise (https://HOST/api/v3) or self-hosted GitLab (https://HOST)",
    )
    group.add_argument("--pr-base", metavar="BRANCH", help="branch the pull request targets (default: --branch, else the upstream of the checked-out branch)")
    group.add_argument(
        "--pr-per",
        choices=("run", "image"),
        default="run",
        help="one pull request per run (default) or one per image",
    )
    group.add_argument(
        "--branch-template",
        default=DEFAULT_TEMPLATE,
        metavar="TEMPLATE",
        help="branch name template with {env}, {image}, {images} (default: %(default)s)",
    )
    group.add_argument("--label", action="append", default=[], metavar="NAME", help="label new pull requests (repeatable)")
    group.add_argument(
        "--reviewer",
        action="append",
        default=[],
        metavar="USER",
        help="request a review from USER (GitHub teams as ORG/TEAM) on new pull requests (repeatable)",
    )
    group.add_argument("--assignee", action="append", default=[], metavar="USER", help="assign new pull requests (repeatable)")
    group.add_argument("--draft", action="store_true", help="open new pull requests as drafts")
    group.add_argument(
        "--auto-merge",
        nargs="?",
        const="merge",
        choices=("merge", "squash", "rebase"),
        help="GitHub: enable auto-merge (merge method, default merge); GitLab: merge when the pipeline succeeds",
    )


def make_forge(kind: str, api_url: str, slug: str, ctx: Context, *, auto_merge_method: str = "merge") -> Forge:
    """The forge client for a project, with the token from the first variable that is set."""
    from automator.forge import forge_class

    variable = next((name for name in TOKEN_VARIABLES[kind] if ctx.get(name)), None)
    token = ctx.get(variable) if variable else None
    return forge_class(kind)(api_url=api_url, slug=slug, token=token, token_variable=variable, auto_merge_method=auto_merge_method)


def settings_from_args(args: argparse.Namespace, *, env_path: str, base: str, message_template: str | None = None) -> Settings:
    return Settings(
        env_path="" if env_path in ("", ".") else env_path,
        base=base,
        template=check_template(args.branch_template),
        per=args.pr_per,
        labels=tuple(args.label),
        reviewers=tuple(args.reviewer),
        assignees=tuple(args.assignee),
        draft=args.draft,
        auto_merge=bool(args.auto_merge),
        message_template=message_template,
    )


def branch_writer(args: argparse.Namespace, ctx: Context, ws: Workspace, *, author: Identity = DEFAULT_AUTHOR) -> BranchPusher:
    """The writer of the pull request branches: base ``--pr-base``, else ``--branch``, else the
    upstream of the checked-out branch; remote ``--remote`` or that upstream's remote."""
    from automator.git.branch import BranchPusher
    from automator.git.credentials import checkout_git_environment
    from automator.git.target import resolve_target as resolve_git_target

    if getattr(args, "no_push", False):
        raise UsageError("--pr pushes a branch and cannot be combined with --no-push")
    target = resolve_git_target(ws, getattr(args, "remote", None), args.pr_base or getattr(args, "branch", None), push=True)
    return BranchPusher(
        ws.root,
        base=target.branch,
        remote=str(target.remote),
        git_env=ws.env if ws.has_credentials else checkout_git_environment(ctx, ws, target.remote_url(ws)),
        author=author,
    )


@contextmanager
def fresh_base(args: argparse.Namespace, ctx: Context, ws: Workspace) -> Iterator[Path]:
    """The fresh head of the pull requests' base in a temporary worktree, to plan against: the
    checkout may be behind (a scheduled job never pulls), and a plan made there would keep a
    stale pull request open or fail on a base that already has the update."""
    with branch_writer(args, ctx, ws).base_tree() as tree:
        yield tree


def open_pull_requests(
    args: argparse.Namespace,
    ctx: Context,
    ws: Workspace,
    path: Path,
    plan: Plan,
    *,
    author: Identity = DEFAULT_AUTHOR,
    message_template: str | None = None,
) -> list[Outcome]:
    """Ensure the pull requests for ``plan`` (made with ``make_plan(ws.root, ..., scan_path=path)``).

    The base is ``--pr-base``, else ``--branch``, else the upstream of the checked-out branch;
    the remote is ``--remote`` or that upstream's remote. The checkout itself is not changed.
    """
    scan = ws.relative(path)
    dirty = ws.dirty(scan)
    if dirty:
        raise UsageError(
            f"uncommitted changes in {scan} of {ws.root}: {', '.join(dirty[:5])}",
            hint="commit, stash or remove them first; the pull request is built from the committed base",
        )
    writer = branch_writer(args, ctx, ws, author=author)
    status, configured_url, _ = ws.try_git("config", "--get", f"remote.{writer.remote}.url")
    if status != 0:
        raise GitError(f"the checkout has no remote named {writer.remote!r}")
    forge_target = resolve_forge_target(configured_url.strip(), kind=args.forge, api_url=args.forge_url)
    forge = make_forge(forge_target.kind, forge_target.api_url, forge_target.slug, ctx, auto_merge_method=args.auto_merge or "merge")
    settings = settings_from_args(args, env_path=scan, base=writer.base, message_template=message_template)
    ws.lock()
    try:
        return ensure_pull_requests(forge, writer, plan, settings)
    finally:
        ws.unlock()


def outcome_dict(outcome: Outcome) -> dict:
    return {
        "action": outcome.action,
        "branch": outcome.branch,
        "number": outcome.pr.number if outcome.pr else None,
        "url": outcome.pr.url if outcome.pr else None,
        "commit": outcome.commit,
        "warnings": list(outcome.warnings),
        "error": outcome.error,
    }


def report(outcomes: list[Outcome], out: TextIO | None = None) -> int:
    """Print one line per pull request; WRITE_FAILED when any group failed."""
    out = out or sys.stdout
    for outcome in outcomes:
        where = outcome.pr.url if outcome.pr else outcome.branch
        line = f"{outcome.action}: {where}" + (f" ({outcome.branch})" if outcome.pr else "")
        if outcome.error:
            line += f": {outcome.error}"
        print(scrub(line), file=out)
        for warning in outcome.warnings:
            print(scrub(f"  warning: {warning}"), file=out)
    return int(ExitCode.WRITE_FAILED if any(o.action == "failed" for o in outcomes) else ExitCode.OK)


def run_pull_requests(
    args: argparse.Namespace,
    ctx: Context,
    ws: Workspace,
    path: Path,
    plan: Plan,
    *,
    author: Identity = DEFAULT_AUTHOR,
    message_template: str | None = None,
    on_outcomes: Callable[[list[Outcome]], None] | None = None,
) -> int:
    """What ``automator run --pr`` does after planning: ensure the PRs, print, return the exit code.

    ``on_outcomes`` sees the outcomes first (CI outputs and reports of the run command)."""
    from automator.report import text as text_report
    from automator.report.json import plan_dict

    outcomes = open_pull_requests(args, ctx, ws, path, plan, author=author, message_template=message_template)
    if on_outcomes is not None:
        on_outcomes(outcomes)
    if getattr(args, "json", False):
        document = {**plan_dict(plan), "pull_requests": [outcome_dict(o) for o in outcomes]}
        print(json.dumps(document, indent=2, ensure_ascii=False))
        code = int(ExitCode.WRITE_FAILED if any(o.action == "failed" for o in outcomes) else ExitCode.OK)
    else:
        sys.stdout.write(text_report.table(plan))
        code = report(outcomes)
        sys.stderr.write(scrub(text_report.problems(plan.problems)))
    return code or int(ExitCode.PARTIAL if plan.errors else ExitCode.OK)
