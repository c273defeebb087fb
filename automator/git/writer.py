"""Apply a plan, make one commit, push it safely under concurrency.

``write_updates`` takes two callbacks so that it knows nothing about manifests:
``replan() -> Plan`` plans against the current working tree, ``apply(plan) -> list[str]``
writes the files (atomically) and returns the changed paths relative to the root.

On a rejected push it fetches, rebases its single commit onto the new remote head and pushes
again with jittered backoff. When the rebase conflicts it drops the commit, resets to the
remote head and re-plans against the fresh tree (the planner never downgrades, so a newer tag
that landed meanwhile is kept). It never force-pushes and never makes merge commits.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from automator.context import Context
from automator.errors import GitError, UsageError
from automator.git.backoff import Deadline, RetryPolicy
from automator.git.credentials import checkout_git_environment
from automator.git.faults import checkpoint
from automator.git.identity import DEFAULT_AUTHOR, Identity
from automator.git.message import render_message
from automator.git.push import classify_push
from automator.git.target import Target, resolve_target, sync
from automator.git.workspace import RunState, Workspace
from automator.model import Change, Plan

log = logging.getLogger(__name__)

Replan = Callable[[], Plan]
Apply = Callable[[Plan], list[str]]


@dataclass(frozen=True)
class WriteOptions:
    remote: str | None = None
    branch: str | None = None
    push: bool = True
    message_template: str | None = None
    author: Identity = DEFAULT_AUTHOR
    retry: RetryPolicy = field(default_factory=RetryPolicy)


@dataclass(frozen=True)
class WriteResult:
    """The plan that was finally committed, and the commit (None when nothing changed)."""

    plan: Plan
    change: Change | None = None
    files: tuple[str, ...] = ()
    pushed: bool = False
    replans: int = 0


class _Run:
    def __init__(self, ws: Workspace, scan: str, options: WriteOptions, target: Target, ctx: Context) -> None:
        self.ws, self.scan, self.options, self.target, self.ctx = ws, scan, options, target, ctx
        self.deadline = Deadline(options.retry)
        self.base = self.start = ws.head()
        self.replans = 0

    def remember(self, base: str) -> None:
        self.base = base
        self.ws.save_state(RunState(self.target.original, base, self.scan, self.target.detached, self.start))

    def commit(self, plan: Plan, files: list[str]) -> str:
        message = render_message(plan, self.options.message_template, path=self.scan, branch=self.target.branch)
        self.ws.git("add", "--", *files)
        self.ws.git("commit", "--quiet", "--cleanup=whitespace", f"--author={self.options.author}", "-m", message, "--", *files)
        return self.ws.head()

    def push_until_landed(self) -> bool:
        """True when our commit landed; False when it was dropped and the caller must re-plan."""
        remote, branch = self.target.remote, self.target.branch
        assert remote is not None
        round_started = time.monotonic()
        while True:
            if not self.deadline.next_attempt():
                raise GitError(
                    f"could not push to {remote} {branch} after {self.deadline.attempts} attempts",
                    hint="the branch kept moving; raise --max-attempts/--retry-timeout or run again",
                )
            checkpoint(self.ctx, "before-push")
            status, out, err = self.ws.try_git("push", "--porcelain", remote, f"HEAD:refs/heads/{branch}")
            result = classify_push(status, out, err)
            if result.outcome == "pushed":
                return True
            if result.outcome in ("refused", "failed"):
                raise GitError(f"push to {remote} {branch} failed: {result.reason}", hint="the checkout was left as it was")
            if result.outcome == "transient":
                log.warning("push to %s %s failed (%s); trying again", remote, branch, result.reason)
                self.deadline.pause(slot=time.monotonic() - round_started)
                round_started = time.monotonic()
                continue
            slot = time.monotonic() - round_started
            log.info("push to %s %s rejected (%s); fetching and rebasing", remote, branch, result.reason)
            waited = self.deadline.pause(slot=slot)
            log.debug("attempt %d: round %.2f s, waited %.2f s", self.deadline.attempts, slot, waited)
            round_started = time.monotonic()
            fresh = self.target.fetch(self.ws)
            if fresh is None:
                raise GitError(f"branch {branch} disappeared from {remote} while pushing")
            status, _, _ = self.ws.try_git("rebase", "--quiet", "--onto", fresh, self.base)
            if status != 0:
                checkpoint(self.ctx, "rebase-conflict")
                self.ws.try_git("rebase", "--abort")
                log.info("rebase onto %s conflicted; re-planning against the fresh tree", fresh[:12])
                self.move_to(fresh)
                self.remember(fresh)
                return False
            if self.ws.head() == fresh:  # our change was already upstream
                self.remember(fresh)
                return False
            self.remember(fresh)

    def move_to(self, fresh: str) -> None:
        """Drop our commit and move to ``fresh``; ``--keep`` never overwrites an untracked file
        (``--hard`` would, when the remote started tracking a file the checkout has untracked)."""
        status, _, err = self.ws.try_git("reset", "--quiet", "--keep", fresh)
        if status != 0:
            detail = " ".join(line.strip() for line in err.strip().splitlines()[:3])
            raise GitError(
                f"cannot move the checkout to the new head of {self.target.remote} {self.target.branch}: {detail}",
                hint="an untracked file of the checkout is in the way of the remote's; move or delete it and run again",
            )

    def execute(self, replan: Replan, apply: Apply, plan: Plan | None = None) -> WriteResult:
        """Commit ``plan`` (made on the synced checkout; default ``replan()``) and push it;
        ``replan()`` again whenever a conflict dropped the commit."""
        plan = replan() if plan is None else plan
        while True:
            if not plan.updates:
                return WriteResult(plan, replans=self.replans)
            self.remember(self.ws.head())
            files = sorted(set(apply(plan)))
            checkpoint(self.ctx, "after-apply")
            if not files:
                return WriteResult(plan, replans=self.replans)
            commit = self.commit(plan, files)
            checkpoint(self.ctx, "after-commit")
            if self.target.remote is None:
                return WriteResult(plan, Change(commit=commit, branch=self.target.branch, attempts=0), tuple(files), replans=self.replans)
            if self.push_until_landed():
                change = Change(commit=self.ws.head(), branch=self.target.branch, attempts=self.deadline.attempts)
                return WriteResult(plan, change, tuple(files), pushed=True, replans=self.replans)
            self.replans += 1
            plan = replan()

    def undo(self) -> bool:
        """Leave the checkout as it was: no rebase, no commit of ours, original branch."""
        try:
            self.ws.restore(RunState(self.target.original, self.base, self.scan, self.target.detached, self.start))
            return True
        except GitError as error:  # report the first failure, not the clean-up's
            log.warning("could not fully restore the checkout (the next run will): %s", error)
            return False


def write_updates(
    path: Path,
    replan: Replan,
    apply: Apply,
    options: WriteOptions = WriteOptions(),
    *,
    ctx: Context | None = None,
    workspace: Workspace | None = None,
) -> WriteResult:
    """Apply, commit once and push (see the module docstring). ``path`` is the scanned path."""
    with commit_session(path, options, ctx=ctx, workspace=workspace) as session:
        return session.execute(replan, apply)


@contextmanager
def commit_session(
    path: Path,
    options: WriteOptions = WriteOptions(),
    *,
    ctx: Context | None = None,
    workspace: Workspace | None = None,
) -> Iterator[_Run]:
    """The checkout locked, recovered, checked for uncommitted changes and moved to the fresh
    head of the target: plan inside, then ``session.execute(replan, apply, plan)``. Any error
    inside undoes the run's commit and restores the checkout."""
    ctx = ctx or Context()
    ws = workspace or Workspace.open(path)
    scan = ws.relative(path)
    ws.lock(options.retry.max_seconds)
    keep_marker = False
    try:
        ws.recover()
        refuse_dirty(ws, scan, options)
        ws.use_identity(options.author)
        target = resolve_target(ws, options.remote, options.branch, push=options.push)
        if workspace is None or not workspace.has_credentials:
            ws.set_env(checkout_git_environment(ctx, ws, target.remote_url(ws)))
        run = _Run(ws, scan, options, target, ctx)
        try:
            run.remember(ws.head())
            if target.remote is not None:
                head = sync(ws, target)
                if target.detached and head is not None:
                    ws.git("checkout", "--quiet", "--detach", head)
            yield run
        except BaseException:
            keep_marker = not run.undo()
            raise
        if target.detached:
            ws.git("checkout", "--quiet", "--force", target.original)
    finally:
        if not keep_marker:
            ws.clear_state()
        ws.unlock()


def refuse_dirty(ws: Workspace, scan: str, options: WriteOptions) -> None:
    changed = ws.dirty(scan)
    if changed:
        shown = ", ".join(changed[:5]) + (" ..." if len(changed) > 5 else "")
        raise UsageError(
            f"uncommitted changes in {scan} of {ws.root}: {shown}",
            hint="commit, stash or remove them first; automator commits only its own updates",
        )
    if options.push or options.branch:
        elsewhere = ws.dirty(".", untracked=False)
        if elsewhere:
            raise UsageError(
                f"uncommitted changes in {ws.root}: {', '.join(elsewhere[:5])}",
                hint="pushing may need a rebase, which needs a clean checkout; commit or stash them, or use --no-push",
            )
