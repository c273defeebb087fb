"""Carry out a recovery plan (I/O), and ``automator recover``: look before leaping."""

from __future__ import annotations

import logging
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from automator.errors import GitError
from automator.git import marker as markers
from automator.git.command import chunked, literal
from automator.git.marker import file_blob_id
from automator.git.observe import observe
from automator.git.recovery import Observed, RecoveryPlan, plan_recovery
from automator.values import value_type

if TYPE_CHECKING:
    from automator.git.workspace import Workspace

log = logging.getLogger(__name__)


def refusal(plan: RecoveryPlan) -> GitError:
    first = plan.blockers[0]
    others = "; ".join(blocker.message for blocker in plan.blockers[1:])
    return GitError(first.message + (f"; also: {others}" if others else ""), hint=first.command)


def apply_recovery(ws: Workspace, plan: RecoveryPlan, seen: Observed, *, quiet: bool = False) -> None:
    """Carry out ``plan``; raise (keeping the marker) when it is blocked or a step fails."""
    if plan.blockers:
        raise refusal(plan)
    by_path = {state.path: state for state in seen.files}
    restoring: list[str] = []  # restore steps in a row: one `git checkout` a chunk, not one a file
    for index, step in enumerate(plan.steps):
        log.log(logging.DEBUG if quiet else logging.WARNING, "recovery: %s", step.describe())
        if step.action == "restore":
            restoring.append(step.target)
            following = plan.steps[index + 1] if index + 1 < len(plan.steps) else None
            if following is None or following.action != "restore":
                for chunk in chunked([literal(path) for path in restoring]):
                    ws.git("checkout", "--quiet", "HEAD", "--", *chunk)
                restoring.clear()
            continue
        if step.action == "remove-lock":
            Path(step.target).unlink(missing_ok=True)
        elif step.action == "prune":
            from automator.git.scratch import prune

            for scratch in seen.scratch:
                if (scratch.worktree or scratch.temp_dir) == step.target:
                    prune(ws.git_dir, scratch)
        elif step.action == "drop-commit":
            ws.git("reset", "--quiet", "--soft", seen.head_parents[0])
        elif step.action == "unstage":
            for chunk in chunked([literal(path) for path in step.paths]):
                ws.git("reset", "--quiet", "HEAD", "--", *chunk)
        elif step.action == "remove":
            state = by_path.get(step.target)
            target = ws.root / step.target
            if state is None or file_blob_id(target, seen.marker.object_format if seen.marker else "sha1") == state.worktree:
                target.unlink(missing_ok=True)
        elif step.action == "rewind":
            status, _, err = ws.try_git("reset", "--quiet", "--keep", step.target)
            if status != 0:
                log.info("recovery: left the branch at %s: %s", ws.head()[:12], err.strip()[:200])
        elif step.action == "return":
            ws.git("checkout", "--quiet", step.target)
        elif step.action == "clear-marker":
            markers.clear(ws.git_dir)




@value_type
class RecoverySettings:
    """``automator recover [PATH] [--apply]``: the checkout, and whether to act."""

    path: Path = Path(".")
    apply: bool = False
    json: bool = False


@value_type
class RecoveryReport:
    seen: Observed
    plan: RecoveryPlan
    applied: bool = False

    def document(self) -> dict:
        """The report as JSON-ready data (pure)."""
        marker = self.seen.marker
        return {
            "checkout": self.seen.root,
            "marker": None if marker is None else {**asdict(marker), "commits": list(marker.commits), "process_gone": self.seen.process_gone},
            "files_written": [asdict(entry) for entry in self.seen.journal],
            "scratch": [{"temp_dir": s.temp_dir, "worktree": s.worktree, "pid": s.pid, "owner_gone": s.owner_gone} for s in self.seen.scratch],
            "locks": [str(lock.path) for lock in self.seen.locks],
            "steps": [{"action": s.action, "target": s.target, "why": s.why} for s in self.plan.steps],
            "kept": [{"path": path, "why": why} for path, why in self.plan.kept],
            "blockers": [{"message": b.message, "command": b.command} for b in self.plan.blockers],
            "notes": list(self.plan.notes),
            "applied": self.applied,
        }


def inspect_or_recover(ws: Workspace, settings: RecoverySettings) -> RecoveryReport:
    """What recovery would do in ``ws`` (nothing changes), or (``apply``) do it under the run
    lock. Raises :class:`GitError` when applying is blocked; the marker then stays."""
    if not settings.apply:
        seen = observe(ws, wait=0.0)
        return RecoveryReport(seen, plan_recovery(seen))
    ws.lock(timeout=10.0)
    try:
        seen = observe(ws)
        plan = plan_recovery(seen)
        if plan.needed:
            apply_recovery(ws, plan, seen)
        return RecoveryReport(seen, plan, applied=plan.needed)
    finally:
        ws.unlock()
