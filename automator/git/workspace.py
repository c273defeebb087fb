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

from automator.errors import GitError, UsageError
from automator.git import marker as markers
from automator.git.command import run_command, verb
from automator.git.config import GitConfig
from automator.git.identity import Identity
from automator.git.maintenance import DEFER, maintenance_due
from automator.git.marker import LOCK_NAME, Journal, RunMarker
from automator.git.network import run_git
from automator.values import value_type

log = logging.getLogger(__name__)

LOCK = LOCK_NAME
# Commands that never move HEAD or switch branches: what the run knows of HEAD stays true.
KEEPS_HEAD = frozenset({
    "add", "cat-file", "commit-tree", "config", "diff", "diff-tree", "fetch", "log", "ls-files", "ls-remote",
    "ls-tree", "maintenance", "merge-base", "merge-tree", "push", "remote", "rev-list", "rev-parse", "show", "status",
})
# Commands that may move HEAD but stay on the branch. Any other command may switch branches.
KEEPS_BRANCH = frozenset({"am", "cherry-pick", "commit", "merge", "reset", "revert", "stash"})
UNKNOWN = "\0unknown"


@value_type
class Location:
    """Where a checkout is: its top directory, its git directory, its object format."""

    root: Path
    git_dir: Path
    object_format: str = "sha1"


def find_repository(path: Path) -> Location:
    """The checkout that holds ``path`` (one ``git rev-parse``, git's own discovery). A link is
    looked up where it is first, not where it points: a link out of the checkout is then refused
    as such (``check_scan_path``), as by scan and update; a link that is not in a checkout
    (one to a checkout) is followed."""
    if path.is_symlink():
        try:
            return _discover(path, path.parent)
        except UsageError:
            pass
    return _discover(path, path if path.is_dir() else path.parent)


def _discover(path: Path, start: Path) -> Location:
    if not start.is_dir():
        raise UsageError(f"{path} is not inside a git checkout", hint="run it on a path of a cloned repository or use --repo URL")
    status, out, err = run_command(
        ["rev-parse", "--is-bare-repository", "--absolute-git-dir", "--show-object-format", "--show-toplevel"], cwd=start
    )
    lines = out.splitlines()
    if lines[:1] == ["true"]:
        raise UsageError(f"{path} is a bare repository", hint="give a path inside a checkout")
    if status != 0 or len(lines) < 4:
        detail = err.strip().splitlines()[0].removeprefix("fatal: ") if err.strip() else ""
        shown = f" ({detail})" if detail and "not a git repository" not in detail else ""
        raise UsageError(
            f"{path} is not inside a git checkout{shown}", hint="run it on a path of a cloned repository or use --repo URL"
        )
    return Location(Path(lines[3]).resolve(), Path(lines[1]).resolve(), lines[2] or "sha1")


class Workspace:
    """A checkout and the git commands a run gives in it.

    What the run asks git more than once is asked once: the configuration (one
    ``git config --list`` for the run), HEAD and the current branch (read once after the run
    lock is taken, then kept up to date by the run's own commands; any command that may move
    HEAD makes the next question ask git again) and the remote's URL."""

    def __init__(self, root: Path, git_dir: Path, env: dict[str, str] | None = None, *, object_format: str | None = None, own_clone: bool = False) -> None:
        self.root = Path(root).resolve()
        self.git_dir = Path(git_dir).resolve()
        self.env = dict(env or {})  # a clone made by the tool carries its own credentials
        self._own_env = bool(env)
        self.own_clone = own_clone  # a temporary clone of the tool's: deleted after the run
        self.fresh = own_clone  # cloned just now, nothing fetched or run in it yet
        self._lock_fd: int | None = None
        self._object_format = object_format
        self._config: GitConfig | None = None
        self._head: str | None = None  # None: ask git
        self._branch: str | None = UNKNOWN  # None: detached
        self._urls: dict[str, str | None] = {}
        self.maintenance_deferred = False

    @property
    def has_credentials(self) -> bool:
        return self._own_env

    @property
    def keeps_records(self) -> bool:
        """Whether a run here is locked, recovered and recorded (run marker, journal): in a
        checkout, yes; in the tool's own clone, deleted after the run whatever happens and
        worked in by nobody else, there is nothing to recover from or restore."""
        return not self.own_clone

    @classmethod
    def open(cls, path: Path, env: dict[str, str] | None = None, *, own_clone: bool = False) -> Workspace:
        where = find_repository(path)
        return cls(where.root, where.git_dir, env, object_format=where.object_format, own_clone=own_clone)

    def set_env(self, env: dict[str, str]) -> None:
        self.env.update(env)

    def use_identity(self, author: Identity) -> None:
        """Committer = git's configured identity; the author when git has none."""
        if not (self.config.has("user.name") and self.config.has("user.email")):
            self.set_env(author.committer_env())

    # --- running git ----------------------------------------------------------------------------

    def git(self, *args: str, env: dict[str, str] | None = None, stdin: bytes | None = None) -> str:
        status, out, err = self.try_git(*args, env=env, stdin=stdin)
        if status != 0:
            detail = (err or out).strip()
            raise GitError(f"git {verb(args)} failed in {self.root}: {detail or f'exit status {status}'}")
        return out

    def try_git(self, *args: str, env: dict[str, str] | None = None, stdin: bytes | None = None) -> tuple[int, str, str]:
        self._before(args)
        return run_command(args, cwd=self.root, env={**self.env, **(env or {})}, stdin=stdin)

    def network(self, *args: str, timeout: float, what: str, deadline: str = "") -> tuple[int, str, str]:
        """A git network command (fetch, push, ls-remote) killed at ``timeout`` seconds."""
        self._before(args)
        return run_git(args, timeout=timeout, what=what, cwd=self.root, env=self.env, deadline=deadline)

    def defer_maintenance(self) -> tuple[str, ...]:
        """Global options for a fetch, commit or merge of the run: no automatic maintenance
        now (see :mod:`automator.git.maintenance`); :meth:`maintain` catches up at the end."""
        self.maintenance_deferred = True
        return DEFER

    def maintain(self) -> None:
        """Start ``git maintenance run --auto`` when the run deferred it and the repository
        needs it. Never in the tool's own clones, which are deleted after the run."""
        if not self.maintenance_deferred or self.own_clone:
            return
        self.maintenance_deferred = False
        try:
            due = maintenance_due(self.git_dir, self.config, self.object_format)
        except GitError:
            return
        if due:
            status, _, err = self.try_git("maintenance", "run", "--auto", "--quiet")
            if status != 0:
                log.debug("git maintenance run --auto: %s", err.strip()[:200])

    # --- what the run asks more than once -------------------------------------------------------

    @property
    def config(self) -> GitConfig:
        """The configuration git reads in this checkout, as it was when the run first asked."""
        if self._config is None:
            status, out, err = run_command(["config", "-z", "--list"], cwd=self.root, env=self.env)
            if status != 0:
                raise GitError(f"cannot read the git configuration of {self.root}: {err.strip()}")
            self._config = GitConfig.parse(out)
        return self._config

    @property
    def object_format(self) -> str:
        if self._object_format is None:
            self._object_format = (self.config.get("extensions.objectformat") or "sha1").lower()
        return self._object_format

    def _before(self, args: tuple[str, ...]) -> None:
        command = verb(args)
        if command not in KEEPS_HEAD:
            self._head = None
            if command not in KEEPS_BRANCH:
                self._branch = UNKNOWN

    def forget_head(self) -> None:
        """HEAD or the branch may have moved (another process, before the run lock was ours)."""
        self._head, self._branch = None, UNKNOWN

    def moved_to(self, commit: str, *, detached: bool = False) -> None:
        """A command of the run just put HEAD on ``commit`` (a full id; ``detached``: off any
        branch): the next question needs no git process."""
        self._head = commit
        if detached:
            self._branch = None

    def _read_head(self) -> None:
        status, out, err = run_command(["rev-parse", "HEAD", "--symbolic-full-name", "HEAD"], cwd=self.root, env=self.env)
        lines = out.splitlines()
        if status != 0 or len(lines) != 2:
            raise GitError(f"git rev-parse HEAD failed in {self.root}: {err.strip() or 'no commit yet'}")
        self._head = lines[0]
        self._branch = lines[1].removeprefix("refs/heads/") if lines[1].startswith("refs/heads/") else None

    def head(self, *, fresh: bool = False) -> str:
        """The commit HEAD is on (``fresh``: ask git even when the run knows)."""
        if fresh or self._head is None:
            self._read_head()
        assert self._head is not None
        return self._head

    def current_branch(self) -> str | None:
        if self._branch == UNKNOWN:
            try:
                self._read_head()
            except GitError:  # no commit yet: the branch HEAD is born on
                status, out, _ = run_command(["symbolic-ref", "--quiet", "--short", "HEAD"], cwd=self.root, env=self.env)
                return out.strip() if status == 0 else None
        return self._branch

    def remote_url(self, remote: str) -> str:
        """The URL ``remote`` pushes to (``remote`` itself when it is a URL or path, not a
        name); from the configuration when it says so plainly, else from git."""
        if remote not in self._urls:
            config = self.config
            pushes = config.get_all(f"remote.{remote}.pushurl") or config.get_all(f"remote.{remote}.url")
            rewrites = any(key.startswith("url.") for key in config.values)
            if len(pushes) == 1 and not rewrites:
                self._urls[remote] = pushes[0]
            else:
                status, out, _ = run_command(["remote", "get-url", "--push", remote], cwd=self.root, env=self.env)
                self._urls[remote] = out.strip() if status == 0 else remote
        return self._urls[remote] or remote

    def rebase_in_progress(self) -> bool:
        return (self.git_dir / "rebase-merge").exists() or (self.git_dir / "rebase-apply").exists()

    def status(self, *pathspecs: str, untracked: str = "all") -> list[tuple[str, str]]:
        """(``XY`` code, path from the root) of every change git status lists under ``pathspecs``
        (default ``.``; ``:(exclude)`` ones too); ``untracked``: ``all`` (each file), ``normal``
        (an untracked directory as ``dir/``), ``no``."""
        out = self.git("status", "--porcelain=v1", "-z", f"--untracked-files={untracked}", "--", *(pathspecs or (".",)))
        entries = [entry for entry in out.split("\0") if entry]
        return [(entry[:2], entry[3:]) for entry in entries if len(entry) > 3 and entry[2] == " "]

    def dirty(self, pathspec: str = ".", *, untracked: bool = True) -> list[str]:
        return [path for _, path in self.status(pathspec, untracked="all" if untracked else "no")]

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

        try:
            fd = os.open(self.git_dir / LOCK, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as error:
            raise UsageError(
                f"cannot lock {self.git_dir / LOCK} ({error.strerror}); run needs a writable checkout",
                hint="run it in a checkout you may write to (its .git too), or with --repo URL in a clone of its own",
            ) from None
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
        self.forget_head()  # a run that held the lock until now may have moved it

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

    def left_behind(self) -> bool:
        """Whether anything may need recovery: a run marker, a registered temporary worktree
        or a rebase in progress (three file checks, no git process)."""
        scratch = self.git_dir / markers.SCRATCH
        return (
            (self.git_dir / markers.MARKER).exists() or self.rebase_in_progress()
            or (scratch.is_dir() and any(scratch.iterdir()))
        )

    def recover(self, *, wait: float = 10.0, own: bool = False):  # -> RecoveryPlan | None
        """Undo what a killed run left behind (see :mod:`automator.git.recovery`); raise
        :class:`GitError` (keeping the marker) when that cannot be done safely. ``own``: undo
        this process's own run (after an error or a signal). None: there was nothing to look at."""
        if not own and not self.left_behind():
            return None
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
        for note in plan.notes:
            log.log(logging.INFO if own else logging.WARNING, "recovery: %s", note)
        return plan
