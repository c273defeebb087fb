"""Commit a plan on a fresh branch from the base head and push it, safely under concurrency.

The commit is made in a temporary detached worktree, so the user's checkout, index and
branches are never touched. Pushes use ``--force-with-lease=refs/heads/<branch>:<expected>``
(an empty ``expected`` means "must not exist yet"); overwriting an existing branch is only
done when the caller says the branch belongs to the tool. When the lease fails because another
run pushed the very same tree, that push is adopted instead of fighting over it.

Credentials never go to ``.git/config`` or the command line: pass ``git_env`` from
:func:`automator.git.credentials.git_environment`. Author and committer follow
:mod:`automator.git.identity` (the committer is git's configured identity, else the author).
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from automator.errors import GitError, scrub
from automator.git.command import run_command, verb
from automator.git.config import GitConfig
from automator.git.credentials import auth_failure_hint
from automator.git.identity import DEFAULT_AUTHOR, Identity
from automator.git.network import run_git
from automator.git.scratch import prune_dead, registration
from automator.interrupts import pushing
from automator.model import Plan, Update

log = logging.getLogger(__name__)
ApplyPlan = Callable[[Path, Plan], list[str]]
MAX_PUSH_ATTEMPTS = 3


def _default_apply(root: Path, plan: Plan) -> list[str]:
    from automator.run import apply_plan

    return apply_plan(root, plan)


class LeaseRejected(GitError):
    """The remote branch moved since we looked at it."""


class BranchPusher:
    """Writes update groups to branches of ``remote``, each a single commit on top of ``base``.

    ``root_path`` is the directory (relative to the repository top) that the plan's file paths
    are relative to (the root given to ``make_plan``).
    """

    def __init__(
        self,
        repo_dir: Path,
        *,
        base: str,
        remote: str = "origin",
        root_path: str = ".",
        git_env: Mapping[str, str] | None = None,
        author: Identity = DEFAULT_AUTHOR,
        apply: ApplyPlan = _default_apply,
        network_timeout: float = 120.0,
    ) -> None:
        from automator.git.workspace import find_repository

        where = find_repository(Path(repo_dir))
        self.root, self.git_dir = where.root, where.git_dir
        self.network_timeout = network_timeout
        self.base = base
        self.remote = remote
        self.root_path = root_path
        self.apply = apply
        self._env = dict(git_env or {})
        self.author = author

    def _git(self, *args: str, cwd: Path | None = None, extra_env: Mapping[str, str] | None = None) -> str:
        status, out, err = run_command(args, cwd=cwd or self.root, env={**self._env, **(extra_env or {})})
        if status != 0:
            raise GitError(scrub(f"git {verb(args)} failed: {err.strip()}"))
        return out

    def _network(self, *args: str, what: str) -> tuple[int, str, str]:
        """A network git command, stopped at ``network_timeout`` (:class:`GitTimeout`)."""
        return run_git(args, timeout=self.network_timeout, what=f"{what} {self.remote}", cwd=self.root, env=self._env)

    def _auth_hint(self, err: str) -> str | None:
        """Whether the token sent was refused, or none was set, when git's ``err`` says the
        server wants credentials (None for any other failure)."""
        return auth_failure_hint(err, self._env)

    def _checked(self, *args: str, what: str) -> str:
        status, out, err = self._network(*args, what=what)
        if status != 0:
            raise GitError(scrub(f"{what.removeprefix('git ')} {self.remote} failed: {err.strip()}"), hint=self._auth_hint(err))
        return out

    def remote_sha(self, branch: str) -> str | None:
        out = self._checked("ls-remote", "--heads", self.remote, f"refs/heads/{branch}", what="git ls-remote of")
        for line in out.splitlines():
            sha, _, ref = line.partition("\t")
            if ref == f"refs/heads/{branch}":
                return sha
        return None

    def _fetch(self, branch: str) -> str:
        self._checked("fetch", "--no-tags", "--quiet", self.remote, f"+refs/heads/{branch}:refs/remotes/{self.remote}/{branch}", what="git fetch from")
        return self._git("rev-parse", f"refs/remotes/{self.remote}/{branch}")

    def _identity_env(self) -> dict[str, str]:
        status, out, _ = run_command(["config", "-z", "--list"], cwd=self.root, env=self._env)
        config = GitConfig.parse(out if status == 0 else "")
        configured = config.has("user.name") and config.has("user.email")
        return self.author.author_env() | ({} if configured else self.author.committer_env())

    @contextmanager
    def base_tree(self) -> Iterator[Path]:
        """A temporary detached worktree at the fresh head of the base branch (removed after)."""
        base_sha = self._fetch(self.base)
        git_dir = self.git_dir
        prune_dead(git_dir)  # worktrees of killed runs
        with tempfile.TemporaryDirectory(prefix="automator-branch-") as tmp:
            tree = Path(tmp).resolve() / "tree"
            with registration(git_dir, Path(tmp).resolve(), tree):  # a killed run's is pruned by the next
                self._git("worktree", "add", "--detach", "--quiet", str(tree), base_sha)
                try:
                    yield tree
                finally:
                    self._remove_worktree(tree)

    def commit(self, updates: Sequence[Update], message: str) -> str:
        """A commit of ``updates`` on the fresh head of the base branch; nothing else changes."""
        with self.base_tree() as tree:
            self.apply(tree / self.root_path, Plan(updates=tuple(updates)))
            self._git("add", "--all", cwd=tree)
            if not self._git("status", "--porcelain", cwd=tree).strip():
                raise GitError(f"the updates change nothing on top of {self.remote}/{self.base}")
            self._git("commit", "--quiet", "--no-verify", "-m", message, cwd=tree, extra_env=self._identity_env())
            return self._git("rev-parse", "HEAD", cwd=tree)

    def _remove_worktree(self, tree: Path) -> None:
        try:
            self._git("worktree", "remove", "--force", str(tree))
        except GitError:  # never hide the error that got us here; prune what is left
            shutil.rmtree(tree, ignore_errors=True)
            run_command(["worktree", "prune"], cwd=self.root, env=self._env)

    def _push(self, sha: str, branch: str, expected: str | None) -> None:
        lease = f"--force-with-lease=refs/heads/{branch}:{expected or ''}"
        status, out, err = self._network("push", "--porcelain", "--no-verify", lease, self.remote, f"{sha}:refs/heads/{branch}", what="git push to")
        if status != 0:
            text = f"{out}\n{err}"
            if "stale info" in text or "fetch first" in text or "already exists" in text or "non-fast-forward" in text:
                raise LeaseRejected(f"{branch} moved on {self.remote}")
            raise GitError(scrub(f"cannot push {branch} to {self.remote}: {err.strip()}"), hint=self._auth_hint(err))

    def push(self, branch: str, updates: Sequence[Update], message: str, *, expected: str | None, may_overwrite: bool) -> str:
        """Push a fresh commit of ``updates`` to ``branch``; returns the sha the branch ends on."""
        sha = self.commit(updates, message)
        tree = self._git("rev-parse", f"{sha}^{{tree}}")
        for _attempt in range(MAX_PUSH_ATTEMPTS):
            try:
                with pushing():  # a stop asked for now lets the push finish (run --every)
                    self._push(sha, branch, expected)
                return sha
            except LeaseRejected:
                current = self._fetch(branch) if self.remote_sha(branch) else None
                if current and self._git("rev-parse", f"{current}^{{tree}}") == tree:
                    log.info("%s: another run already pushed the same change", branch)
                    return current
                if current and not may_overwrite:
                    raise GitError(
                        f"branch {branch} appeared on {self.remote} meanwhile and does not belong to Deployment Automator",
                        hint="delete the branch or choose another --branch-template",
                    ) from None
                expected = current
        raise GitError(f"branch {branch} kept moving on {self.remote}; gave up after {MAX_PUSH_ATTEMPTS} attempts")

    def delete(self, branch: str, *, expected: str) -> None:
        status, _, err = self._network(
            "push", "--porcelain", "--no-verify", f"--force-with-lease=refs/heads/{branch}:{expected}", self.remote, f":refs/heads/{branch}",
            what="git push to",
        )
        if status != 0:
            raise GitError(scrub(f"cannot delete {branch} on {self.remote}: {err.strip()}"), hint=self._auth_hint(err))
