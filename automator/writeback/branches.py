"""The branches of pull requests on the remote: what :class:`BranchPusher` writes, and two
questions the pull-request strategy asks about them.

* :meth:`PullRequestBranches.merges_cleanly`: does a branch still merge into the fresh base?
  ``git merge-tree --write-tree`` (git 2.38 or newer) answers without a worktree; an older git
  cannot tell, and the branch is then taken to merge (as before the question was asked).
* :meth:`PullRequestBranches.branches_under`: the remote's branches under a prefix (the
  branches the tool pushed for an environment), read with ``git ls-remote``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from automator.errors import GitError, UsageError
from automator.git.branch import BranchPusher
from automator.git.command import run_command

if TYPE_CHECKING:
    from automator.context import Context
    from automator.forge.settings import PullRequestSettings
    from automator.git.workspace import Workspace
    from automator.git.writer import WriteOptions

log = logging.getLogger(__name__)
CONFLICTS = 1  # git merge-tree --write-tree: 0 a clean merge, 1 conflicts, anything else an error


class PullRequestBranches(BranchPusher):
    def merges_cleanly(self, branch: str) -> bool:
        """Whether ``branch`` merges into the fresh head of the base without conflicts."""
        self._checked(
            "fetch", "--no-tags", "--quiet", self.remote,
            f"+refs/heads/{self.base}:refs/remotes/{self.remote}/{self.base}",
            f"+refs/heads/{branch}:refs/remotes/{self.remote}/{branch}",
            what="git fetch from",
        )
        base, head = (f"refs/remotes/{self.remote}/{name}" for name in (self.base, branch))
        status, _, err = run_command(["merge-tree", "--write-tree", "--no-messages", base, head], cwd=self.root, env=self._env)
        if status not in (0, CONFLICTS):
            log.info("cannot tell whether %s still merges into %s (git merge-tree needs git 2.38): %s", branch, self.base, err.strip()[:200])
        return status != CONFLICTS

    def branches_under(self, prefix: str) -> list[str]:
        """The remote's branches whose names start with ``prefix``; none when it cannot be read."""
        try:
            out = self._checked("ls-remote", "--heads", self.remote, f"refs/heads/{prefix}*", what="git ls-remote of")
        except GitError as error:
            log.debug("cannot list the branches under %s: %s", prefix, error)
            return []
        heads = (line.partition("\t")[2] for line in out.splitlines())
        names = (ref.removeprefix("refs/heads/") for ref in heads if ref.startswith("refs/heads/"))
        return [name for name in names if name.startswith(prefix)]


def branch_writer(settings: PullRequestSettings, write: WriteOptions, ctx: Context, ws: Workspace) -> PullRequestBranches:
    """The writer of the pull request branches: base ``--pr-base``, else ``--branch``, else the
    upstream of the checked-out branch; remote ``--remote`` or that upstream's remote."""
    from automator.git.credentials import checkout_git_environment
    from automator.git.network import check_transport
    from automator.git.target import check_branch_name
    from automator.git.target import resolve_target as resolve_git_target

    if not write.push:
        raise UsageError("--pr pushes a branch and cannot be combined with --no-push")
    if settings.base:
        check_branch_name(settings.base, "--pr-base")
    target = resolve_git_target(ws, write.remote, settings.base or write.branch, push=True)
    url = target.remote_url(ws)
    if url:
        check_transport(url, what=f"remote {target.remote}")
    return PullRequestBranches(
        ws.root,
        base=target.branch,
        remote=str(target.remote),
        git_env=ws.env if ws.has_credentials else checkout_git_environment(ctx, ws, url),
        author=write.author,
        network_timeout=write.retry.max_seconds,
    )
