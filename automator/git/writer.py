"""Apply a plan, make one commit, push it safely under concurrency.

``write_updates`` takes two callbacks so that it knows nothing about manifests:
``replan() -> Plan`` plans against the current working tree, ``apply(plan) -> list[str]``
writes the files (atomically) and returns the changed paths relative to the root; wrapped in
:class:`RecordingApply` it reports each file to the run marker before replacing it.

On a rejected push it fetches, replays its single commit onto the new remote head (a merge
computed without touching the checkout, so no rebase is ever left half-done), moves to the
remote head and plans again against the fresh tree. When that plan is still the one committed,
it pushes the replayed commit, with jittered backoff; when the replay conflicts or the fresh
tree plans otherwise (a commit that landed meanwhile turned automation off, pinned a policy or
moved the tag: the planner never downgrades), it drops the commit and commits the new plan.
It never force-pushes and never makes merge commits.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import field, replace
from pathlib import Path

from automator.context import Context
from automator.errors import AutomatorError, GitError
from automator.git.backoff import Deadline, RetryPolicy
from automator.git.clean import refuse_dirty
from automator.git.commit import commit_files
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
from automator.interrupts import pushing, signals_waiting
from automator.model import Change, Plan
from automator.values import value_type

log = logging.getLogger(__name__)

LEFT_AS_IT_WAS = "the checkout was left as it was"  # a failed push's hint, when the undo left nothing behind

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
    # files and directories the run itself writes into the checkout (report files, the health
    # file, the registry cache): never committed, and no "uncommitted change" to refuse
    own_files: tuple[Path, ...] = ()

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
        """Commit exactly ``files`` (:mod:`automator.git.commit`). A pushing run in a checkout
        stages them first; otherwise `commit -- FILES` alone takes tracked files from the tree:
        in a checkout when the run only replaced files that were there, in the tool's own clone
        (clean, nobody else writes there) whenever git knows them all."""
        message = render_message(plan, self.options.message_template, path=self.scan, branch=self.target.branch)
        stages = self.options.whole_checkout and not self.ws.own_clone
        add_first = stages or not (self.ws.own_clone or self.all_replaced(files))
        return commit_files(self.ws, files, message, str(self.options.author), add_first=add_first)

    def all_replaced(self, files: list[str]) -> bool:
        """Whether the run only replaced files that were there (the journal says what each
        held before), none it created: they are tracked, ``git add`` has nothing to add."""
        assert self.journal is not None  # asked in a checkout only: the own clone commits -- FILES at once
        before: dict[str, set[str | None]] = {}
        for entry in self.journal.read():
            before.setdefault(entry.path, set()).add(entry.before)
        return all(before.get(name) and all(is_object_id(b) for b in before[name]) for name in files)

    def push_until_landed(self) -> bool | str | None:
        """True when our commit landed. Otherwise the branch moved and the checkout is now at
        its fresh head, for the caller to plan again there: the id of our commit replayed onto
        it (clean), or None (it conflicted, or the change was there already)."""
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
            return None if replayed == fresh else replayed  # fresh: our change was already upstream

    def push_replan(self, replan: Replan, plan: Plan) -> tuple[bool, Plan]:
        """Push our commit of ``plan`` until it lands (True) or the plan made again on the
        fresh tree is another (False: the commit is dropped, the checkout at the fresh head).
        A clean replay is pushed only when the fresh tree's own plan is still ours: a commit
        that landed meanwhile may have turned automation off or pinned a policy in our file."""
        while True:
            with pushing():  # a stop asked for now lets the push finish (run --every)
                replayed = self.push_until_landed()
            if replayed is True:
                return True, plan
            fresh_plan = replan()
            if isinstance(replayed, str) and same_updates(fresh_plan, plan):
                self.move_to(replayed)
                plan = fresh_plan
                continue
            if isinstance(replayed, str):
                log.info("the fresh tree plans other updates than our replayed commit; committing the new plan")
            return False, fresh_plan

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
            landed, plan = self.push_replan(replan, plan)
            if landed:
                change = Change(commit=self.ws.head(), branch=self.target.branch, attempts=self.deadline.attempts)
                return WriteResult(plan, change, tuple(files), pushed=True, replans=self.replans)
            self.replans += 1

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
        refuse_dirty(ws, scan, options.whole_checkout, options.own_files)
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
            keep_marker = True  # until the undo finished: a second signal must not lose the run's record
            # SIGINT and SIGTERM wait for the undo, then reach their handler (a loop stops after it)
            with signals_waiting(deliver=not isinstance(error, KeyboardInterrupt)):
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


def same_updates(one: Plan, other: Plan) -> bool:
    """Whether two plans change the same fields of the same files from and to the same text
    (where in the file they are may differ: lines above them changed)."""
    def key(plan: Plan) -> list[tuple[str, str, str, str]]:
        return sorted((u.use.file, u.from_tag, u.to_tag, u.new_text) for u in plan.updates)

    return key(one) == key(other)


def fresh_clone(ws: Workspace, target: Target) -> bool:
    """The tool's own clone of the target branch, made for this run a moment ago: the clone
    was the fetch. (A push that finds the branch moved since fetches as always.)"""
    fresh, ws.fresh = ws.fresh, False
    return fresh and not target.detached and target.branch == target.original
