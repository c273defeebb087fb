"""A checkout we may write to: git command runner, run lock, crash marker and recovery.

Every run holds an exclusive lock on ``<git-dir>/automator.lock`` and records what it is about
to do in ``<git-dir>/automator-run.json``. A run that was killed leaves the marker behind; the
next run (the lock proves the old one is gone) aborts the rebase it left, drops its unpushed
commit, removes stray files from the scanned path and returns to the original branch.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import git

from automator.errors import GitError, UsageError
from automator.git.identity import Identity

log = logging.getLogger(__name__)

MARKER = "automator-run.json"
LOCK = "automator.lock"


@dataclass(frozen=True)
class RunState:
    """What a run in progress may have changed (written before it changes anything)."""

    original: str  # branch name, or a commit id when HEAD was detached
    base: str  # the commit our own commit (if any) sits on
    scan: str  # scanned path relative to the root
    detached: bool  # True when the run works on a detached HEAD (another branch)
    start: str = ""  # where the branch was before the run fast-forwarded or rebased it


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
        if env:
            repo.git.update_environment(**env)
        self._lock_fd: int | None = None

    @property
    def has_credentials(self) -> bool:
        return bool(self.env)

    @classmethod
    def open(cls, path: Path, env: dict[str, str] | None = None) -> Workspace:
        return cls(find_repository(path), env)

    def set_env(self, env: dict[str, str]) -> None:
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

    # --- crash marker ---------------------------------------------------------------------------

    def save_state(self, state: RunState) -> None:
        tmp = self.git_dir / (MARKER + ".tmp")
        tmp.write_text(json.dumps(asdict(state)))
        os.replace(tmp, self.git_dir / MARKER)

    def load_state(self) -> RunState | None:
        try:
            return RunState(**json.loads((self.git_dir / MARKER).read_text()))
        except FileNotFoundError:
            return None
        except (ValueError, TypeError):
            log.warning("ignoring unreadable %s", self.git_dir / MARKER)
            return None

    def clear_state(self) -> None:
        (self.git_dir / MARKER).unlink(missing_ok=True)

    # --- recovery -------------------------------------------------------------------------------

    def recover(self) -> bool:
        """Undo what a killed run left behind; refuse a rebase someone else started."""
        state = self.load_state()
        if self.rebase_in_progress():
            if state is None:
                raise GitError(
                    f"a rebase is in progress in {self.root} that automator did not start",
                    hint="finish it or run `git rebase --abort`, then run again",
                )
            self.try_git("rebase", "--abort")
        if state is None:
            return False
        log.warning("recovering from an interrupted run in %s", self.root)
        self.restore(state)
        self.clear_state()
        return True

    def restore(self, state: RunState) -> None:
        """Drop our unpushed commit and files, and return to the original branch."""
        if self.rebase_in_progress():
            self.try_git("rebase", "--abort")
        if not state.detached and self.current_branch() == state.original:
            head = self.head()
            status, parent, _ = self.try_git("rev-parse", "--verify", "--quiet", "HEAD^")
            if head == state.base or (status == 0 and parent.strip() == state.base):
                # soft, then only the scanned path: staged changes elsewhere (allowed with
                # --no-push) stay staged
                self.git("reset", "--quiet", "--soft", state.base)
                self.git("reset", "--quiet", state.base, "--", state.scan)
                if state.start and state.start != state.base:  # only when pushing: the tree was clean
                    self.git("reset", "--quiet", "--hard", state.start)
            else:
                log.warning("not resetting %s: it moved past %s since the interrupted run", state.original, state.base[:12])
        else:
            self.git("checkout", "--quiet", "--force", state.original)
        self.try_git("checkout", "--quiet", "HEAD", "--", state.scan)  # fails harmlessly if nothing is tracked there
        self.git("clean", "--quiet", "-d", "--force", "--", state.scan)
