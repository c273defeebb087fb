"""Temporary worktrees and directories a run makes, registered so that a killed run's are pruned.

Each is registered in ``<git-dir>/automator-scratch/<pid>-<n>.json`` *before* it is created and
unregistered after it is removed. An entry whose process is gone belongs to a killed run: the
next run (or ``automator recover --apply``) removes that worktree with ``git worktree remove``
(or its administrative directory when the tree is already gone) and the temporary directory.
Only the tool's own worktrees are touched, never ``git worktree prune`` over the user's.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

from automator.git.marker import SCRATCH, process_alive, process_start
from automator.values import value_type

log = logging.getLogger(__name__)

_counter = itertools.count()


@value_type
class Scratch:
    temp_dir: str  # a directory the tool created (removed whole)
    worktree: str  # a linked worktree inside it ('' when none)
    pid: int
    pid_start: str = ""
    entry: str = ""  # the registration file (not saved)

    @property
    def owner_gone(self) -> bool:
        return not process_alive(self.pid, self.pid_start)


def registered(git_dir: Path) -> list[Scratch]:
    folder = git_dir / SCRATCH
    if not folder.is_dir():
        return []
    found = []
    for entry in sorted(folder.glob("*.json")):
        try:
            raw = json.loads(entry.read_text())
            found.append(Scratch(str(raw["temp_dir"]), str(raw.get("worktree", "")), int(raw["pid"]), str(raw.get("pid_start", "")), str(entry)))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return found


@contextmanager
def registration(git_dir: Path, temp_dir: Path, worktree: Path | None = None) -> Iterator[None]:
    """Register ``temp_dir`` (and ``worktree``) for the duration of the block."""
    folder = git_dir / SCRATCH
    folder.mkdir(exist_ok=True)
    pid = os.getpid()
    entry = folder / f"{pid}-{next(_counter)}.json"
    scratch = Scratch(str(temp_dir), str(worktree or ""), pid, process_start(pid))
    tmp = entry.with_suffix(".tmp")
    tmp.write_text(json.dumps({k: v for k, v in asdict(scratch).items() if k != "entry"}))
    os.replace(tmp, entry)
    try:
        yield
    finally:
        entry.unlink(missing_ok=True)


def prune(git_dir: Path, scratch: Scratch) -> None:
    """Remove a dead run's worktree, its administrative directory and its temporary directory."""
    if scratch.worktree:
        subprocess.run(
            ["git", f"--git-dir={git_dir}", "worktree", "remove", "--force", "--force", scratch.worktree],
            capture_output=True, stdin=subprocess.DEVNULL,
        )
        _remove_admin_dir(git_dir, Path(scratch.worktree))
    shutil.rmtree(scratch.temp_dir, ignore_errors=True)
    if scratch.entry:
        Path(scratch.entry).unlink(missing_ok=True)


def _remove_admin_dir(git_dir: Path, worktree: Path) -> None:
    """``.git/worktrees/<id>`` of exactly this worktree (its ``gitdir`` file points into it)."""
    admin_root = git_dir / "worktrees"
    if not admin_root.is_dir():
        return
    wanted = os.path.realpath(worktree / ".git") if worktree.exists() else str(worktree / ".git")
    for admin in admin_root.iterdir():
        try:
            pointer = (admin / "gitdir").read_text().strip()
        except OSError:
            continue
        if pointer in (wanted, str(worktree / ".git")):
            shutil.rmtree(admin, ignore_errors=True)


def prune_dead(git_dir: Path) -> list[Scratch]:
    """Prune every registered scratch whose process is gone; return what was pruned."""
    dead = [scratch for scratch in registered(git_dir) if scratch.owner_gone]
    for scratch in dead:
        log.warning("removing %s left by an interrupted run", scratch.worktree or scratch.temp_dir)
        prune(git_dir, scratch)
    return dead
