"""Where a run pushes: the upstream of the current branch, or ``--remote``/``--branch``.

When the target is the current branch the run commits on it (after fast-forwarding it to the
remote head). When it is another branch (a branch per environment) the run works on a detached
HEAD at the remote head and returns to the original branch afterwards.
"""

from __future__ import annotations

from collections.abc import Callable

from automator.errors import GitError, UsageError
from automator.git.refname import branch_name_problem
from automator.git.workspace import Workspace
from automator.values import value_type


@value_type
class Target:
    remote: str | None  # None: commit only (--no-push)
    branch: str
    original: str  # the branch (or commit, when detached) to return to
    detached: bool = False

    def fetch(self, ws: Workspace, *, timeout: float = 120.0, what: str = "", deadline: str = "") -> str | None:
        """Fetch the remote branch; its head commit, or None when the branch does not exist.
        The fetch is stopped (:class:`GitTimeout`) after ``timeout`` seconds."""
        assert self.remote is not None
        status, _, err = ws.network(
            *ws.defer_maintenance(), "fetch", "--quiet", "--no-tags", self.remote, f"refs/heads/{self.branch}",
            timeout=timeout, what=what or f"git fetch from {self.remote} {self.branch}", deadline=deadline,
        )
        if status != 0:
            if "couldn't find remote ref" in err.lower():
                return None
            raise GitError(f"fetch of {self.branch} from {self.remote} failed: {err.strip()}")
        return ws.git("rev-parse", "FETCH_HEAD^{commit}")

    def remote_url(self, ws: Workspace) -> str | None:
        if self.remote is None:
            return None
        return ws.remote_url(self.remote)


def upstream(ws: Workspace, branch: str) -> tuple[str | None, str | None]:
    remote, merge = ws.config.get(f"branch.{branch}.remote"), ws.config.get(f"branch.{branch}.merge")
    if remote is None or merge is None or remote.strip() == ".":
        return None, None
    return remote.strip(), merge.strip().removeprefix("refs/heads/")


def check_branch_name(branch: str, option: str = "--branch") -> None:
    """A :class:`UsageError` (nothing was done) for a branch git cannot have, named by the
    ``option`` it was given to (``--branch``, ``--pr-base``)."""
    why = branch_name_problem(branch)
    if why:
        raise UsageError(f"{option} {branch!r} is not a valid branch name: {why}",
                         hint="git's rules: `git check-ref-format --branch NAME`")


def configured_remotes(ws: Workspace) -> list[str]:
    """The remotes the configuration names (``remote.<name>.*``)."""
    return sorted({key[len("remote."):].rpartition(".")[0] for key in ws.config.values if key.startswith("remote.")} - {""})


def check_remote(ws: Workspace, remote: str) -> None:
    """A :class:`UsageError` for a ``--remote`` that is no remote of the checkout, nor a URL or
    path git could fetch from."""
    if remote in configured_remotes(ws) or any(c in remote for c in ":/\\") or remote.startswith("."):
        return
    if any(place.exists() for place in (ws.root / remote, ws.git_dir / "remotes" / remote, ws.git_dir / "branches" / remote)):
        return  # a path, or a remote of git's older files
    known = ", ".join(configured_remotes(ws)) or "none"
    raise UsageError(f"no remote named {remote} in {ws.root} (its remotes: {known})",
                     hint=f"pass one of them with --remote, or add it first: git remote add {remote} URL")


def resolve_target(ws: Workspace, remote: str | None, branch: str | None, *, push: bool) -> Target:
    if branch:
        check_branch_name(branch)
    if remote and push:
        check_remote(ws, remote)
    current = ws.current_branch()
    original = current or ws.head()
    if not push:
        if branch and branch != current:
            raise UsageError(
                f"--branch {branch} with --no-push: the commit would stay on {current or 'a detached HEAD'}",
                hint=f"check out {branch} first, or push",
            )
        return Target(None, current or "HEAD", original)
    up_remote, up_branch = upstream(ws, current) if current else (None, None)
    remote_name = remote or up_remote
    if remote_name is None:
        raise UsageError(
            f"branch {current or '(detached HEAD)'} has no upstream to push to",
            hint="pass --remote NAME (and --branch B), set one with `git branch -u`, or use --no-push",
        )
    if branch:
        target_branch = branch
    elif remote_name == up_remote and up_branch:
        target_branch = up_branch
    elif current:
        target_branch = current
    else:
        raise UsageError("HEAD is detached and no --branch was given", hint="pass --branch B")
    if up_remote is not None:
        same = current is not None and up_remote == remote_name and up_branch == target_branch
    else:
        same = current == target_branch
    return Target(remote_name, target_branch, original, detached=not same)


def sync(
    ws: Workspace,
    target: Target,
    *,
    timeout: float = 120.0,
    what: str = "",
    deadline: str = "",
    before_move: Callable[[str], None] = lambda commit: None,
) -> str | None:
    """Bring the work position up to the remote head; return that head (None: new branch).
    ``before_move(commit)`` is told before the checkout moves (the run marker records it)."""
    head = target.fetch(ws, timeout=timeout, what=what, deadline=deadline)
    if head is not None:
        before_move(head)
    if target.detached:
        if head is None:
            raise UsageError(f"{target.remote} has no branch {target.branch}", hint="create the environment branch first")
        return head
    if head is None:  # a new branch: it starts at HEAD, so HEAD must be known to the remote
        _refuse_unpublished(ws, target)
        return head
    if ws.head() == head:
        return head
    status, _, _ = ws.try_git("merge-base", "--is-ancestor", "HEAD", head)
    if status == 0:
        ws.git(*ws.defer_maintenance(), "merge", "--quiet", "--ff-only", head)
        ws.moved_to(head)
        return head
    ahead = ws.git("rev-list", "--count", f"{head}..HEAD")
    raise UsageError(
        f"{target.original} has {ahead} commit(s) that are not on {target.remote} {target.branch}",
        hint="push or drop them first; automator pushes only its own commit",
    )


def _refuse_unpublished(ws: Workspace, target: Target) -> None:
    """Creating a branch pushes every commit of HEAD the remote lacks: refused when HEAD has
    commits on no branch of the remote that the checkout knows of (the user's own work, which
    the run would publish with its commit)."""
    unpublished = ws.git("rev-list", "--count", "HEAD", "--not", f"--remotes={target.remote}")
    if unpublished != "0":
        raise UsageError(
            f"{target.original} has {unpublished} commit(s) that are on no branch of {target.remote}; "
            f"creating {target.branch} there would publish them",
            hint="push or drop them first, or start from a branch the remote has; automator pushes only its own commit",
        )
