"""``--repo URL`` and ``--ref BRANCH`` (clone mode) -> :class:`CloneSettings`."""

from __future__ import annotations

import argparse

from automator.commands.options import OptionGroup
from automator.context import Context
from automator.errors import UsageError
from automator.writeback.job import CloneSettings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("clone mode")
    group.add_argument("--repo", metavar="URL", help="clone URL (shallow) into a temp dir, run there, push, clean up")
    group.add_argument("--ref", metavar="BRANCH", help="branch to clone (default: the remote's default branch)")


def settings(args: argparse.Namespace, ctx: Context) -> CloneSettings:
    if args.ref and not args.repo:
        raise UsageError("--ref needs --repo", hint="use --branch to push a local checkout to another branch")
    if args.repo:
        from automator.git.clone import check_clone_url

        check_clone_url(args.repo)  # refused before any run (not echoed: it may hold a token)
        refuse_no_push(args, "--repo: the clone is deleted after the run")
        refuse_remote(args, "--repo")
    return CloneSettings(repo=args.repo, ref=args.ref)


def refuse_no_push(args: argparse.Namespace, why: str) -> None:
    """``--no-push`` where the run works in the tool's own clone (``--repo``, ``fleet``): the
    clone is deleted after the run, so the commit would be reported and then thrown away."""
    if getattr(args, "no_push", False):
        raise UsageError(f"--no-push with {why}, and its commit with it", hint="drop --no-push, or use --dry-run to see what would change")


def refuse_remote(args: argparse.Namespace, what: str) -> None:
    """``--remote`` where the run works in the tool's own clone: its one remote is ``origin``,
    the URL it was cloned from, so any other name would fail each push."""
    remote = getattr(args, "remote", None)
    if remote and remote != "origin":
        raise UsageError(f"--remote {remote} with {what}: the clone's one remote is origin, the URL it was cloned from",
                         hint="drop --remote; to push to another branch, use --branch")


GROUP = OptionGroup("clone", add_arguments, settings)
