"""Apply a plan, make one commit, push it safely under concurrency.

``write_updates`` takes two callbacks so that it knows nothing about manifests:
``replan() -> Plan`` plans against the current working tree, ``apply(plan) -> list[str]``
writes the files (atomically) and returns the changed paths relative to the root; wrapped in
:class:`RecordingApply` it reports each file to the run marker before replacing it.

On a rejected push it fetches, replays its single commit onto the new remote head (a merge
computed without touching the checkout, so no rebase is ever left half-done) and pushes again
with jittered backoff. When the replay conflicts it drops the commit, moves to the remote head
and re-plans against the fresh tree (the planner never downgrades, so a newer tag
that landed meanwhile is kept). It never force-pushes and never makes merge commits.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import field, replace
from pathlib import Path

from automator.context import Context
from automator.errors import AutomatorError, GitError, UsageError
from automator.git.backoff import Deadline, RetryPolicy
from automator.git.credentials import checkout_git_environment
from automator.git.faults import checkpoint
from automator.git.identity import DEFAULT_AUTHOR, Identity
from automator.git.marker import RunMarker, is_object_id
from automator.git.message import render_message
from automator.git.network import check_transport, shown_url
from automator.git.push import classify_push
from automator.git.replay import replay_onto
from automator.git.target import Target, resolve_target, sync
from automator.git.workspace import Workspace
from automator.interrupts import pushing
from automator.model import Change, Plan
from automator.values import value_type

log = logging.getLogger(__name__)

LEFT_AS_IT_WAS = "the checkout was left as it was"  # a failed push's hint, when the undo left nothing behind
UNKNOWN_PATH = "did not match any file(s) known to git"  # `git commit -- PATH` of an untracked PATH

Replan = Callable[[], Plan]
Apply = Callable[[Plan], list[str]]
Record = Callable[[Path, bytes], None]


@value_type
class RecordingApply:
    """An ``apply`` that reports each file to the run marker *before* replacing it:
    ``apply(plan, record)`` calls ``record(path, new_bytes)`` first. A killed run's files are
    then always recognised (a plain ``apply`` is recorded only after it returns). In the
    tool's own clone, which keeps no marker, ``record`` is None."""

    apply: Callable[[Plan, Record | None], list[str]]


@value_type
class WriteOptions:
    remote: str | None = None
    branch: str | None = None
    push: bool = True
    message_template: str | None = None
    author: Identity = DEFAULT_AUTHOR
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    @property
    def whole_checkout(self) -> bool:
        """Whether the run needs all of the checkout clean (it pushes, or writes to a branch of
        its own, either of which may rebase), not just the scanned path."""
        return self.push or bool(self.branch)


@value_type
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
        # detached only once it leaves the branch (:meth:`detach`): a run that fails before
        # that left the checkout where it was
        self.marker = RunMarker.begin(target.original, ws.head(), scan, False, ws.object_format)
        self.replans = 0
        self.left: tuple[str, ...] = ()  # what the undo of a failed run could not restore
        self.journal = ws.journal() if ws.keeps_records else None

    @property
    def base(self) -> str:
        return self.marker.base

    def remember(self, base: str | None = None, moving_to: str | None = None) -> None:
        """Save the marker: the commit ours sits on, and a commit the checkout is about to move to."""
        if base is not None:
            self.marker = replace(self.marker.moved_to(base), base=base)
        if moving_to is not None:
            self.marker = self.marker.moved_to(moving_to)
        if self.ws.keeps_records:
            self.ws.save_marker(self.marker)

    def detach(self, head: str) -> None:
        """Work on a detached HEAD at ``head`` (another branch), recorded in the marker first."""
        self.marker = replace(self.marker, detached=True)
        self.remember()
        self.ws.git("checkout", "--quiet", "--detach", head)
        self.ws.moved_to(head, detached=True)

    def what(self, verb: str) -> str:
        url = self.target.remote_url(self.ws) or ""
        shown = f" ({shown_url(url)})" if url and url != self.target.remote else ""
        return f"git {verb} {self.target.remote}{shown} {self.target.branch}"

    @property
    def deadline_text(self) -> str:
        return f"the --retry-timeout deadline of {self.options.retry.max_seconds:g} s"

    def fetch(self) -> str | None:
        return self.target.fetch(self.ws, timeout=self.deadline.remaining(), what=self.what("fetch from"), deadline=self.deadline_text)

    def apply(self, apply: Apply | RecordingApply, plan: Plan) -> list[str]:
        if isinstance(apply, RecordingApply):
            return sorted(set(apply.apply(plan, self.journal.record if self.journal is not None else None)))
        files = sorted(set(apply(plan)))
        if self.journal is not None:
            self.journal.record_written(files)
        return files

    def commit(self, plan: Plan, files: list[str]) -> str:
        message = render_message(plan, self.options.message_template, path=self.scan, branch=self.target.branch)
        commit = (*self.ws.defer_maintenance(), "commit", "--quiet", "--cleanup=whitespace", f"--author={self.options.author}", "-m", message)
        if self.options.whole_checkout and not self.ws.own_clone:
            # The checkout was clean (refuse_dirty looked at all of it): the index holds only
            # what `git add` staged, and a commit of the index takes the bytes the run wrote.
            # `commit -- FILES` would read the files again while it runs, so an edit made then
            # (by the user, after the run was killed and its git went on) would land in a
            # commit that recovery cannot tell from its own.
            self.ws.git("add", "--", *files)
            self.ws.git(*commit)
            return self.ws.head()
        # `commit -- FILES` takes tracked files from the tree itself: in a checkout when the run
        # only replaced files that were there; in the tool's own clone (clean, and nobody else
        # writes there) whenever git knows them all
        if self.ws.own_clone or self.all_replaced(files):
            status, _, err = self.ws.try_git(*commit, "--", *files)
            if status == 0:
                return self.ws.head()
            if UNKNOWN_PATH not in err:
                raise GitError(f"git commit failed in {self.ws.root}: {err.strip() or f'exit status {status}'}")
        self.ws.git("add", "--", *files)
        self.ws.git(*commit, "--", *files)  # only these: changes staged elsewhere stay staged
        return self.ws.head()

    def all_replaced(self, files: list[str]) -> bool:
        """Whether the run only replaced files that were there (the journal says what each
        held before), none it created: they are tracked, ``git add`` has nothing to add."""
        assert self.journal is not None  # asked in a checkout only: the own clone commits -- FILES at once
        before: dict[str, set[str | None]] = {}
        for entry in self.journal.read():
            before.setdefault(entry.path, set()).add(entry.before)
        return all(before.get(name) and all(is_object_id(b) for b in before[name]) for name in files)

    def push_until_landed(self) -> bool:
        """True when our commit landed; False when it was dropped and the caller must re-plan."""
        remote, branch = self.target.remote, self.target.branch
        assert remote is not None
        round_started = time.monotonic()
        failing = ""  # why the last push failed, when the remote failed it (not a moved branch)
        while True:
            if not self.deadline.next_attempt():
                raise GitError(
                    f"could not push to {remote} {branch} after {self.deadline.attempts} attempts"
                    + (f": the remote kept failing ({failing})" if failing else ""),
                    hint=("run again later, or raise --retry-timeout" if failing
                          else "the branch kept moving; raise --max-attempts/--retry-timeout or run again"),
                )
            checkpoint(self.ctx, "before-push")
            status, out, err = self.ws.network(
                "push", "--porcelain", remote, f"HEAD:refs/heads/{branch}",
                timeout=self.deadline.remaining(), what=self.what("push to"), deadline=self.deadline_text,
            )
            result = classify_push(status, out, err)
            if result.outcome == "pushed":
                return True
            if result.outcome in ("refused", "failed"):
                raise GitError(f"push to {remote} {branch} failed: {result.reason}", hint=LEFT_AS_IT_WAS)
            failing = result.reason if result.outcome == "transient" else ""
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
            fresh = self.fetch()
            if fresh is None:
                raise GitError(f"branch {branch} disappeared from {remote} while pushing")
            self.remember(moving_to=fresh)
            replayed = replay_onto(self.ws, self.ws.head(), fresh)
            if replayed is None:
                checkpoint(self.ctx, "rebase-conflict")
                log.info("our commit does not apply onto %s; re-planning against the fresh tree", fresh[:12])
                self.move_to(fresh)
                self.remember(base=fresh)
                return False
            if replayed == fresh:  # our change was already upstream
                self.move_to(fresh)
                self.remember(base=fresh)
                return False
            self.move_to(replayed)
            self.remember(base=fresh)

    def move_to(self, commit: str) -> None:
        """Move the checkout to ``commit``; ``--keep`` never overwrites an untracked file
        (``--hard`` would, when the remote started tracking a file the checkout has untracked)."""
        status, _, err = self.ws.try_git("reset", "--quiet", "--keep", commit)
        if status != 0:
            detail = " ".join(line.strip() for line in err.strip().splitlines()[:3])
            raise GitError(
                f"cannot move the checkout to the new head of {self.target.remote} {self.target.branch}: {detail}",
                hint="an untracked file of the checkout is in the way of the remote's; move or delete it and run again",
            )
        self.ws.moved_to(commit)

    def execute(self, replan: Replan, apply: Apply | RecordingApply, plan: Plan | None = None) -> WriteResult:
        """Commit ``plan`` (made on the synced checkout; default ``replan()``) and push it;
        ``replan()`` again whenever a conflict dropped the commit."""
        plan = replan() if plan is None else plan
        while True:
            if not plan.updates:
                return WriteResult(plan, replans=self.replans)
            self.remember(base=self.ws.head())
            files = self.apply(apply, plan)
            checkpoint(self.ctx, "after-apply")
            if not files:
                return WriteResult(plan, replans=self.replans)
            commit = self.commit(plan, files)
            checkpoint(self.ctx, "after-commit")
            if self.target.remote is None:
                return WriteResult(plan, Change(commit=commit, branch=self.target.branch, attempts=0), tuple(files), replans=self.replans)
            with pushing():  # a stop asked for now lets the push finish (run --every)
                landed = self.push_until_landed()
            if landed:
                change = Change(commit=self.ws.head(), branch=self.target.branch, attempts=self.deadline.attempts)
                return WriteResult(plan, change, tuple(files), pushed=True, replans=self.replans)
            self.replans += 1
            plan = replan()

    def undo(self) -> bool:
        """Leave the checkout as it was: no commit of ours, our files restored, original branch.
        (The tool's own clone is left to be deleted.)"""
        if not self.ws.keeps_records:
            return True
        try:
            plan = self.ws.recover(wait=0.0, own=True)
            self.left = tuple(plan.notes) if plan is not None else ()
            head = self.ws.head(fresh=True)
            if not self.left and not self.target.detached and self.marker.base and head != self.marker.base:
                self.left = (f"HEAD ({head[:12]}) is still the run's commit: it holds content the run did not write "
                             f"(a commit hook's?), so it was not dropped; check it with `git show {head[:12]}` and drop "
                             f"or amend it (git reset --keep {self.marker.base[:12]})",)
            for note in self.left:  # the user must know what stays, and where
                log.warning("the checkout was not fully restored: %s", note)
            return True
        except GitError as error:  # report the first failure, not the clean-up's
            log.warning("could not fully restore the checkout (the next run will): %s", error)
            return False


def write_updates(
    path: Path,
    replan: Replan,
    apply: Apply | RecordingApply,
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
    inside undoes the run's commit and restores the checkout.

    The tool's own clone (``--repo``, a fleet's repositories) is neither locked nor recovered,
    and the run keeps no marker or journal there (:attr:`Workspace.keeps_records`)."""
    ctx = ctx or Context()
    ws = workspace or Workspace.open(path)
    scan = ws.relative(path)
    records = ws.keeps_records
    if records:
        ws.lock(options.retry.max_seconds)
    keep_marker = True  # a marker this run did not write (a recovery that could not finish) stays
    try:
        if records:
            ws.recover()
            ws.save_marker(RunMarker.starting(scan))  # from here on, locks our git commands leave are known as ours
        keep_marker = False
        refuse_dirty(ws, scan, options)
        ws.use_identity(options.author)
        target = resolve_target(ws, options.remote, options.branch, push=options.push)
        url = target.remote_url(ws)
        if url:
            check_transport(url, what=f"remote {target.remote}")
        if workspace is None or not workspace.has_credentials:
            ws.set_env(checkout_git_environment(ctx, ws, url))
        run = _Run(ws, scan, options, target, ctx)
        try:
            run.remember()
            if target.remote is not None and not fresh_clone(ws, target):
                head = sync(
                    ws, target, timeout=run.deadline.remaining(), what=run.what("fetch from"), deadline=run.deadline_text,
                    before_move=lambda commit: run.remember(moving_to=commit),
                )
                if target.detached and head is not None:
                    run.detach(head)
            yield run
        except BaseException as error:
            keep_marker = not run.undo()
            if run.left and isinstance(error, AutomatorError) and error.hint == LEFT_AS_IT_WAS:
                error.hint = "the checkout was not fully restored: see the warning above"
            raise
        if target.detached:
            status, _, err = ws.try_git("checkout", "--quiet", target.original)
            if status != 0:
                keep_marker = True
                log.warning("could not return to %s (the next run will): %s", target.original, err.strip())
    finally:
        if records and not keep_marker:
            ws.clear_marker()
        ws.unlock()
    ws.maintain()  # after a run that finished: never while a failed or stopped one unwinds


def fresh_clone(ws: Workspace, target: Target) -> bool:
    """The tool's own clone of the target branch, made for this run a moment ago: the clone
    was the fetch. (A push that finds the branch moved since fetches as always.)"""
    fresh, ws.fresh = ws.fresh, False
    return fresh and not target.detached and target.branch == target.original


def refuse_dirty(ws: Workspace, scan: str, options: WriteOptions) -> None:
    if ws.fresh:  # the tool's own clone, made a moment ago, nothing run in it yet: clean
        return
    elsewhere: list[str] = []
    if options.whole_checkout:  # one look covers both questions
        # each untracked file where nothing else can be untracked; elsewhere untracked
        # directories as a whole (git does not walk them: they are none of the run's business)
        every_file = scan == "." or ws.own_clone
        entries = ws.status(".", untracked="all" if every_file else "normal")
        changed = [path for _, path in entries if within(path, scan)]
        elsewhere = [path for code, path in entries if code != "??"]
    else:
        changed = ws.dirty(scan)
    if changed:
        shown = ", ".join(changed[:5]) + (" ..." if len(changed) > 5 else "")
        raise UsageError(
            f"uncommitted changes in {scan} of {ws.root}: {shown}",
            hint="commit, stash or remove them first; automator commits only its own updates",
        )
    if elsewhere:
        raise UsageError(
            f"uncommitted changes in {ws.root}: {', '.join(elsewhere[:5])}",
            hint="pushing may need a rebase, which needs a clean checkout; commit or stash them, or use --no-push",
        )


def within(path: str, scan: str) -> bool:
    """Whether a path git status lists is in the scanned path (or an untracked directory,
    listed as ``dir/``, holds the scanned path)."""
    scan = scan.rstrip("/")
    return scan == "." or path == scan or path.startswith(scan + "/") or (path.endswith("/") and (scan + "/").startswith(path))
