"""The ``--pr`` options of ``automator run`` and the function the command calls with a plan.

Usage from ``automator/commands/run.py``::

    from automator.forge import options as pr_options
    pr_options.add_arguments(parser.add_argument_group("pull / merge requests"))
    ...
    if args.pr:
        return max(plan_exit_code, pr_options.run_pull_requests(args, ctx, root=root, plan=plan))
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from git import InvalidGitRepositoryError, NoSuchPathError, Repo

from automator.context import Context
from automator.errors import ConfigError, ExitCode, GitError, scrub
from automator.forge.detect import resolve_target
from automator.forge.ensure import Outcome, Settings, ensure_pull_requests
from automator.forge.naming import DEFAULT_TEMPLATE, check_template
from automator.model import Plan

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
    group.add_argument("--pr-base", metavar="BRANCH", help="branch the pull request targets (default: the checked-out branch)")
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


def _repo(root: Path) -> Repo:
    try:
        return Repo(root, search_parent_directories=True)
    except (InvalidGitRepositoryError, NoSuchPathError):
        raise GitError(f"{root} is not inside a git checkout", hint="--pr needs a clone of the environment repository") from None


def make_forge(kind: str, api_url: str, slug: str, ctx: Context, *, auto_merge_method: str = "merge"):
    """The forge client for a project, with the token from the first variable that is set."""
    from automator.forge import FORGES

    variable = next((name for name in TOKEN_VARIABLES[kind] if ctx.get(name)), None)
    token = ctx.get(variable) if variable else None
    forge = FORGES[kind](api_url=api_url, slug=slug, token=token, token_variable=variable, auto_merge_method=auto_merge_method)
    return forge, variable, token


def open_pull_requests(
    args: argparse.Namespace,
    ctx: Context,
    *,
    root: Path,
    plan: Plan,
    env_path: Path | None = None,
    remote: str | None = None,
) -> list[Outcome]:
    """Ensure the pull requests for ``plan`` (file paths relative to ``root``).

    ``env_path`` names the environment in branch names and markers (default: ``root``).
    """
    from automator.git.branch import BranchPusher, auth_environment

    repo = _repo(root)
    top = Path(repo.working_tree_dir or root).resolve()
    root_rel = Path(root).resolve().relative_to(top).as_posix()
    env_rel = Path(env_path or root).resolve().relative_to(top).as_posix()
    remote = remote or getattr(args, "remote", None) or "origin"
    try:
        remote_url = repo.git.config("--get", f"remote.{remote}.url")
    except Exception:
        raise GitError(f"the checkout has no remote named {remote!r}") from None
    target = resolve_target(remote_url, kind=args.forge, api_url=args.forge_url)
    forge, variable, token = make_forge(target.kind, target.api_url, target.slug, ctx, auto_merge_method=args.auto_merge or "merge")
    user = "x-access-token" if target.kind == "github" else ("gitlab-ci-token" if variable == "CI_JOB_TOKEN" else "oauth2")
    base = args.pr_base or (None if repo.head.is_detached else repo.active_branch.name)
    if not base:
        raise ConfigError("the checkout is on a detached HEAD", hint="pass --pr-base BRANCH")
    writer = BranchPusher(top, base=base, remote=remote, root_path=root_rel, git_env=auth_environment(remote_url, token, user))
    settings = Settings(
        env_path="" if env_rel == "." else env_rel,
        base=base,
        template=check_template(args.branch_template),
        per=args.pr_per,
        labels=tuple(args.label),
        reviewers=tuple(args.reviewer),
        assignees=tuple(args.assignee),
        draft=args.draft,
        auto_merge=bool(args.auto_merge),
    )
    return ensure_pull_requests(forge, writer, plan, settings)


def report(outcomes: list[Outcome], out: TextIO = sys.stdout) -> int:
    """Print one line per pull request; WRITE_FAILED when any group failed."""
    for outcome in outcomes:
        where = outcome.pr.url if outcome.pr else outcome.branch
        line = f"{outcome.action}: {where}" + (f" ({outcome.branch})" if outcome.pr else "")
        if outcome.error:
            line += f": {outcome.error}"
        print(scrub(line), file=out)
        for warning in outcome.warnings:
            print(scrub(f"  warning: {warning}"), file=out)
    return int(ExitCode.WRITE_FAILED if any(o.action == "failed" for o in outcomes) else ExitCode.OK)


def run_pull_requests(args: argparse.Namespace, ctx: Context, *, root: Path, plan: Plan, env_path: Path | None = None) -> int:
    return report(open_pull_requests(args, ctx, root=root, plan=plan, env_path=env_path))
