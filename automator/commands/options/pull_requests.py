"""``--pr`` and the options of the pull/merge requests -> :class:`PullRequestSettings`."""

from __future__ import annotations

import argparse

from automator.commands.options import OptionGroup
from automator.context import Context
from automator.forge.naming import DEFAULT_TEMPLATE
from automator.forge.settings import FORGE_KINDS, MERGE_METHODS, PER_CHOICES, PullRequestSettings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("pull / merge requests (--pr)")
    group.add_argument(
        "--pr",
        "--mr",
        dest="pr",
        action="store_true",
        help="push a deterministic branch and keep one pull/merge request open for it instead of pushing to the base",
    )
    group.add_argument("--forge", choices=FORGE_KINDS, help="forge kind (default: detected from the remote URL)")
    group.add_argument(
        "--forge-url",
        metavar="URL",
        help="API base for GitHub Enterprise (https://HOST/api/v3) or self-hosted GitLab (https://HOST)",
    )
    group.add_argument("--pr-base", metavar="BRANCH", help="branch the pull request targets (default: --branch, else the upstream of the checked-out branch)")
    group.add_argument(
        "--pr-per",
        choices=PER_CHOICES,
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
        choices=MERGE_METHODS,
        help="GitHub: enable auto-merge (merge method, default merge); GitLab: merge when the pipeline succeeds",
    )


def settings(args: argparse.Namespace, ctx: Context) -> PullRequestSettings:
    return PullRequestSettings(
        enabled=args.pr,
        forge=args.forge,
        forge_url=args.forge_url,
        base=args.pr_base,
        per=args.pr_per,
        branch_template=args.branch_template,
        labels=tuple(args.label),
        reviewers=tuple(args.reviewer),
        assignees=tuple(args.assignee),
        draft=args.draft,
        auto_merge=args.auto_merge,
    )


GROUP = OptionGroup("pull_requests", add_arguments, settings)
