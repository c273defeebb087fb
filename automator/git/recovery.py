"""Undo what a killed run left behind, touching nothing else.

:func:`plan_recovery` is pure: from the run marker and what the checkout looks like now
(:class:`Observed`, gathered by :func:`automator.git.observe.observe`) it says what recovery
would do, which files it leaves alone and why, and what stops it;
:func:`automator.git.recover.apply_recovery` does it.

The rules:

* a file is restored only when its content is exactly what the killed run wrote (the journal's
  ``after``) or what git wrote while the run moved the checkout between commits it recorded;
  anything else was changed by someone else and is left alone and reported;
* only files the run created are ever removed; ``git clean`` is never run;
* the run's commit is dropped only when HEAD is exactly that commit (its parent is a commit the
  run recorded, and it changes only journaled files to what the run wrote);
* a git lock file is removed only when the marker's process is gone, the lock is newer than
  the marker and no git process works in the repository; otherwise recovery refuses with the
  lock's path and the command that clears it;
* a recovery that cannot finish keeps its marker, so the next run tries again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from automator.git import marker as markers
from automator.git.locks import LockFile
from automator.git.marker import JournalEntry, RunMarker
from automator.git.scratch import Scratch
from automator.values import value_type

CLOCK_SLACK = 1.0  # file-system timestamps may be coarser than the wall clock


@value_type
class FileState:
    """One path as recovery sees it (blob ids; None where there is no such file)."""

    path: str
    worktree: str | None
    head: str | None
    parent: str | None  # in HEAD's first parent (what HEAD becomes when the run's commit is dropped)
    index: str | None
    in_commits: frozenset[str | None] = frozenset()  # its blob (None: absent) in the marker's commits


@value_type
class TempFile:
    path: str  # a ``.NAME.*.tmp`` file next to a journaled file, made after the run began
    mtime: float


@value_type
class Observed:
    root: str
    marker: RunMarker | None
    journal: tuple[JournalEntry, ...] = ()
    process_gone: bool = True
    head: str = ""
    head_parents: tuple[str, ...] = ()
    head_changes: tuple[tuple[str, str | None], ...] = ()  # HEAD vs its parent: path, blob (None: deleted)
    branch: str | None = None
    rebase: bool = False
    locks: tuple[LockFile, ...] = ()
    git_pids: tuple[int, ...] | None = ()
    files: tuple[FileState, ...] = ()
    temp_files: tuple[TempFile, ...] = ()
    scratch: tuple[Scratch, ...] = ()


@value_type
class Step:
    action: str  # remove-lock, prune, drop-commit, unstage, restore, remove, return, clear-marker
    target: str
    why: str
    paths: tuple[str, ...] = ()  # unstage: the paths

    def describe(self) -> str:
        return f"{self.action} {self.target}: {self.why}"


@value_type
class Blocker:
    message: str
    command: str  # what clears it


@value_type
class RecoveryPlan:
    steps: tuple[Step, ...] = ()
    kept: tuple[tuple[str, str], ...] = ()  # (path, why it is left alone)
    blockers: tuple[Blocker, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def needed(self) -> bool:
        return bool(self.steps or self.blockers)


@dataclass
class _Builder:
    steps: list[Step] = field(default_factory=list)
    kept: list[tuple[str, str]] = field(default_factory=list)
    blockers: list[Blocker] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def build(self) -> RecoveryPlan:
        return RecoveryPlan(tuple(self.steps), tuple(self.kept), tuple(self.blockers), tuple(self.notes))


# --- the pure part ---------------------------------------------------------------------------


def plan_recovery(seen: Observed) -> RecoveryPlan:
    """What recovery would do in the checkout ``seen`` (see the module docstring)."""
    out = _Builder()
    for scratch in seen.scratch:
        if scratch.owner_gone:
            out.steps.append(Step("prune", scratch.worktree or scratch.temp_dir, "temporary worktree of an interrupted run"))
    marker = seen.marker
    if seen.rebase:
        out.blockers.append(Blocker(
            f"a rebase is in progress in {seen.root} that automator did not start",
            "finish it (git rebase --continue) or run `git rebase --abort`, then run again",
        ))
    if marker is None:
        return out.build()
    if not seen.process_gone:
        out.blockers.append(Blocker(f"the run that wrote the marker (process {marker.pid}) is still running", "wait for it to finish"))
        return out.build()
    _plan_locks(seen, marker, out)
    if out.blockers:
        return out.build()
    _plan_tree(seen, marker, out)
    out.steps.append(Step("clear-marker", markers.MARKER, "recovery done"))
    return out.build()


def _plan_locks(seen: Observed, marker: RunMarker, out: _Builder) -> None:
    for lock in seen.locks:
        if lock.mtime >= marker.started - CLOCK_SLACK and seen.git_pids == ():
            out.steps.append(Step("remove-lock", str(lock.path), "left by a git process of the interrupted run"))
            continue
        why = (
            "it is older than the interrupted run" if lock.mtime < marker.started - CLOCK_SLACK
            else "a git process may still be using it" if seen.git_pids is None
            else f"git process {', '.join(map(str, seen.git_pids))} still works in the repository"
        )
        out.blockers.append(Blocker(
            f"git lock file {lock.path} exists and was not removed: {why}",
            f"make sure no git command is running in {seen.root}, then `rm {lock.path}`",
        ))


def _afters(journal: Sequence[JournalEntry]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for entry in journal:
        found.setdefault(entry.path, set()).add(entry.after)
    return found


def _split_run_commit(seen: Observed, marker: RunMarker) -> tuple[list[str], list[str]] | None:
    """When HEAD has the shape of the run's commit (one parent the run recorded, not a commit
    it recorded itself, only journaled files changed): the changed paths that hold what the
    run wrote, and the others. None for any other HEAD."""
    if len(seen.head_parents) != 1 or seen.head in marker.commits or seen.head_parents[0] not in (*marker.commits, marker.base):
        return None
    afters = _afters(seen.journal)
    if not seen.head_changes or any(path not in afters for path, _ in seen.head_changes):
        return None
    ours = [path for path, blob in seen.head_changes if blob is not None and blob in afters[path]]
    other = sorted(path for path, blob in seen.head_changes if blob is None or blob not in afters[path])
    return ours, other


def own_commit(seen: Observed, marker: RunMarker) -> bool:
    """HEAD is the run's commit: one parent the run recorded, only journaled files changed,
    each to content the run wrote."""
    split = _split_run_commit(seen, marker)
    return split is not None and not split[1]


def foreign_in_run_commit(seen: Observed, marker: RunMarker) -> list[str]:
    """The paths where HEAD holds content the run did not write, when HEAD otherwise has the
    run's commit's shape (some changed files hold what the run wrote): an edit made while a
    killed run's ``git commit`` still ran."""
    split = _split_run_commit(seen, marker)
    return split[1] if split is not None and split[0] else []


def _on_run_position(seen: Observed, marker: RunMarker) -> bool:
    """The checkout is where the run left it: on its branch, or detached when it worked so."""
    if not marker.original:  # killed before it looked at the checkout: it changed nothing there
        return False
    return seen.branch is None if marker.detached else seen.branch == marker.original


def _where_it_started(seen: Observed, marker: RunMarker) -> bool:
    """The checkout is on the branch (or detached commit) the run started from, at the commit
    it started at: nothing of the run's is left to find elsewhere."""
    on_original = seen.branch == marker.original if seen.branch is not None else seen.head == marker.original
    return bool(marker.start) and on_original and seen.head == marker.start


def _plan_tree(seen: Observed, marker: RunMarker, out: _Builder) -> None:
    in_place = _on_run_position(seen, marker)
    if not in_place and marker.original and not _where_it_started(seen, marker):
        out.notes.append(f"the checkout is on {seen.branch or 'a detached HEAD'}, not where the interrupted run left it; its commits are left alone")
    dropping = in_place and own_commit(seen, marker)
    if dropping:
        out.steps.append(Step("drop-commit", seen.head, f"the interrupted run's unpushed commit (back to {seen.head_parents[0][:12]})"))
    elif in_place and (other := foreign_in_run_commit(seen, marker)):
        out.notes.append(
            f"HEAD ({seen.head[:12]}) holds what the interrupted run wrote and other content in {', '.join(other)}, "
            "perhaps an edit made while the run's commit was still being written; the commit is left as it is: "
            f"check it with `git show {seen.head[:12]}` and amend or split it if that content does not belong there"
        )
    afters = _afters(seen.journal)
    created = {entry.path for entry in seen.journal if entry.before is None}
    unstage, restore, remove = [], [], []
    for state in seen.files:
        target = state.parent if dropping else state.head
        mine = afters.get(state.path, set()) | {blob for blob in state.in_commits if blob is not None}
        if state.index is not None and state.index != target and (state.index in mine or (dropping and state.index == state.head)):
            unstage.append(state.path)
        elif state.index is None and target is not None and None in state.in_commits:
            unstage.append(state.path)  # git removed it from the index while moving between the run's commits
        if state.worktree == target:
            continue
        if state.worktree is not None and state.worktree in mine:
            if target is not None:
                restore.append(state.path)
            elif state.path in created or state.worktree in state.in_commits:
                remove.append(state.path)
            else:
                out.kept.append((state.path, "holds what the run wrote but is not in HEAD; left as it is"))
        elif state.worktree is None and target is not None and (None in state.in_commits or state.path in created):
            restore.append(state.path)  # removed by git while moving between the run's commits
        else:
            out.kept.append((state.path, "changed since the interrupted run (not by it); left as it is"))
    if unstage:
        out.steps.append(Step("unstage", ", ".join(unstage), "staged by the interrupted run", tuple(unstage)))
    for path in restore:
        out.steps.append(Step("restore", path, "still holds what the interrupted run wrote"))
    for path in remove:
        out.steps.append(Step("remove", path, "created by the interrupted run and unchanged since"))
    for temp in seen.temp_files:
        out.steps.append(Step("remove", temp.path, "temporary file of an interrupted atomic write"))
    now = seen.head_parents[0] if dropping else seen.head
    if in_place and not marker.detached and marker.start and now != marker.start and now in marker.commits:
        out.steps.append(Step("rewind", marker.start, f"where {marker.original} was before the interrupted run (skipped if files in the way changed)"))
    if marker.detached and seen.branch is None and marker.original and not markers.is_object_id(marker.original):
        out.steps.append(Step("return", marker.original, "the branch checked out before the interrupted run"))
