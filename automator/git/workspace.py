"""A checkout we may write to: git command runner, run lock, run marker and recovery.

Every run holds an exclusive lock on ``<git-dir>/automator.lock`` and records what it is about
to do in a run marker (:mod:`automator.git.marker`). A run that was killed leaves the marker
behind; the next run (the lock proves the old one is gone) undoes exactly what the killed run
did and nothing else (:mod:`automator.git.recovery`).
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import git

from automator.errors import GitError, UsageError
from automator.git import marker as markers
from automator.git.identity import Identity
from automator.git.marker import LOCK_NAME, Journal, RunMarker
from automator.git.network import run_git

log = logging.getLogger(__name__)

LOCK = LOCK_NAME


def find_repository(path: Path) -> git.Repo:
    try:
        repo = git.Repo(path if path.is_dir() else path.parent, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise UsageError(f"{path} is not inside a git checkout", hint="run it on a path of a cloned repository or use --repo URL") from None
    if repo.bare:
        raise UsageError(f"{path} is a bare repository", hint="give a path inside a checkout")
    return repo


class Workspace:
    def __init__(self, repo: git.Repo, env: dict[str, str] | None = None) -> None:
        self.repo = repo
        self.root = Path(repo.working_tree_dir or ".").resolve()
        self.git_dir = Path(repo.git_dir).resolve()
        self.env = dict(env or {})  # a clone made by the tool carries its own credentials
        self._own_env = bool(env)
        if env:
            repo.git.update_environment(**env)
        self._lock_fd: int | None = None
        self._object_format: str | None = None

    @property
    def has_credentials(self) -> bool:
        return self._own_env

    @classmethod
    def open(cls, path: Path, env: dict[str, str] | None = None) -> Workspace:
        return cls(find_repository(path), env)

    def set_env(self, env: dict[str, str]) -> None:
        self.env.update(env)
        self.repo.git.update_environment(**env)

    def use_identity(self, author: Identity) -> None:
        """Committer = git's configured identity; the author when git has none."""
        configured = all(self.try_git("config", "--get", key)[0] == 0 for key in ("user.name", "user.email"))
        if not configured:
            self.set_env(author.committer_env())

    # --- running git ----------------------------------------------------------------------------

    def git(self, *args: str) -> str:
        try:
            return self.repo.git.execute(["git", *args])
        except git.GitCommandError as error:
            detail = (error.stderr or error.stdout or "").strip().removeprefix("stderr: ").strip("'\n ")
            raise GitError(f"git {args[0]} failed in {self.root}: {detail or error}") from None

    def try_git(self, *args: str) -> tuple[int, str, str]:
        status, out, err = self.repo.git.execute(["git", *args], with_extended_output=True, with_exceptions=False)
        return int(status or 0), out, err

    def network(self, *args: str, timeout: float, what: str, deadline: str = "") -> tuple[int, str, str]:
        """A git network command (fetch, push, ls-remote) killed at ``timeout`` seconds."""
        return run_git(args, timeout=timeout, what=what, cwd=self.root, env=self.env, deadline=deadline)

    @property
    def object_format(self) -> str:
        if self._object_format is None:
            status, out, _ = self.try_git("rev-parse", "--show-object-format")
            self._object_format = out.strip() if status == 0 and out.strip() else "sha1"
        return self._object_format

    def head(self) -> str:
        return self.git("rev-parse", "HEAD")

    def current_branch(self) -> str | None:
        status, out, _ = self.try_git("symbolic-ref", "--quiet", "--short", "HEAD")
        return out.strip() if status == 0 else None

    def rebase_in_progress(self) -> bool:
        return (self.git_dir / "rebase-merge").exists() or (self.git_dir / "rebase-apply").exists()

    def dirty(self, pathspec: str = ".", *, untracked: bool = True) -> list[str]:
        out = self.git(
            "status", "--porcelain=v1", "-z", "--untracked-files=" + ("all" if untracked else "no"), "--", pathspec
        )
        entries = [entry for entry in out.split("\0") if entry]
        return [entry[3:] for entry in entries if len(entry) > 3 and entry[2] == " "]

    def changed_paths(self) -> list[str]:
        """Every path git status lists: changed, staged, deleted or untracked (not ignored)."""
        out = self.git("status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames")
        return [entry[3:] for entry in out.split("\0") if len(entry) > 3]

    def relative(self, path: Path) -> str:
        rel = os.path.relpath(path.resolve(), self.root)
        if rel.startswith(".."):
            raise UsageError(f"{path} is outside the repository {self.root}")
        return Path(rel).as_posix()

    # --- lock -----------------------------------------------------------------------------------

    def lock(self, timeout: float = 120.0) -> None:
        import fcntl

        fd = os.open(self.git_dir / LOCK, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    os.close(fd)
                    raise GitError(f"another automator run holds {self.git_dir / LOCK}", hint="wait for it to finish") from None
                time.sleep(0.05)
        self._lock_fd = fd

    def unlock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    # --- run marker and recovery ------------------------------------------------------------------

    def save_marker(self, marker: RunMarker) -> None:
        markers.save(self.git_dir, marker)

    def load_marker(self) -> RunMarker | None:
        return markers.load(self.git_dir)

    def clear_marker(self) -> None:
        markers.clear(self.git_dir)

    def journal(self) -> Journal:
        return Journal(self.git_dir, self.root, self.object_format)

    def recover(self, *, wait: float = 10.0, own: bool = False):  # -> RecoveryPlan
        """Undo what a killed run left behind (see :mod:`automator.git.recovery`); raise
        :class:`GitError` (keeping the marker) when that cannot be done safely. ``own``: undo
        this process's own run (after an error or a signal)."""
        from automator.git.observe import observe
        from automator.git.recover import apply_recovery
        from automator.git.recovery import plan_recovery

        seen = observe(self, wait=wait, own=own)
        plan = plan_recovery(seen)
        if plan.needed:
            if seen.marker is not None and not own:
                log.warning("recovering from an interrupted run in %s", self.root)
            apply_recovery(self, plan, seen, quiet=own)
        for path, why in plan.kept:
            log.log(logging.INFO if own else logging.WARNING, "recovery: %s %s", path, why)
        return plan
