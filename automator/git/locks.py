"""Git's own lock files in a repository, and the git processes working in it.

A git process that dies holding ``index.lock``, ``HEAD.lock`` or a ref lock leaves the lock
behind and every later git command in the repository fails. Whether a lock may be removed is
decided in :mod:`automator.git.recovery`; this module only looks.
"""

from __future__ import annotations

import os
from pathlib import Path

from automator.git.marker import LOCK_NAME
from automator.values import value_type

# Lock files at the top of a git directory (or of a linked worktree's admin directory).
TOP_LOCKS = ("index.lock", "HEAD.lock", "ORIG_HEAD.lock", "FETCH_HEAD.lock", "packed-refs.lock", "config.lock", "shallow.lock")


@value_type
class LockFile:
    path: Path
    mtime: float


def lock_files(git_dir: Path) -> list[LockFile]:
    """Every git lock file of the repository: top-level ones, ref locks, linked worktrees'."""
    candidates: list[Path] = [git_dir / name for name in TOP_LOCKS]
    candidates.extend(git_dir.glob("next-index-*.lock"))  # the temporary index of `git commit -- PATHS`
    for sub in ("refs", "logs"):
        top = git_dir / sub
        if top.is_dir():
            candidates.extend(p for p in top.rglob("*.lock"))
    worktrees = git_dir / "worktrees"
    if worktrees.is_dir():
        for admin in worktrees.iterdir():
            candidates.extend(admin / name for name in TOP_LOCKS)
    found = []
    for path in candidates:
        if path.name == LOCK_NAME:
            continue
        try:
            found.append(LockFile(path, path.stat().st_mtime))
        except OSError:
            continue
    return sorted(found, key=lambda lock: str(lock.path))


def _inside(path: str, roots: tuple[str, ...]) -> bool:
    return any(path == root or path.startswith(root + os.sep) for root in roots)


def git_processes(root: Path, git_dir: Path) -> list[int] | None:
    """Pids of live git processes working in the repository; None when the system does not
    say (no ``/proc``): the caller must then assume there may be some."""
    proc = Path("/proc")
    if not (proc / "self" / "cwd").exists():
        return None
    roots = (str(root.resolve()), str(git_dir.resolve()))
    me = os.getpid()
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            name = os.path.basename(argv[0].decode(errors="replace")) if argv and argv[0] else ""
            if not (name == "git" or name.startswith("git-")):
                continue
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        if _inside(cwd, roots) or _git_dir_of(entry) in roots:
            found.append(int(entry.name))
    return sorted(found)


def _git_dir_of(entry: Path) -> str:
    try:
        for item in (entry / "environ").read_bytes().split(b"\0"):
            if item.startswith(b"GIT_DIR="):
                return os.path.realpath(item[8:].decode(errors="replace"))
    except OSError:
        pass
    return ""
