"""What a run checks before it writes anything, checked by ``--dry-run`` too.

A dry run writes nothing, but it answers "would this run work?": what the run without
``--dry-run`` refuses with exit 2, the dry run refuses alike, with the same checks and
messages. Before planning (:func:`check_tree`), those of the tree the run would plan on: for
a commit, uncommitted changes (the preview would be planned from them), the target remote and
branch (a ``--branch`` the remote does not have), the remote's transport; for pull requests,
``--no-push``, ``--pr-base`` and the remote. After routing (:func:`check_pull_requests`), the
updates that would go to pull requests: ``--no-push`` (naming the rule that routes them), a
remote whose forge cannot be told, uncommitted changes.

One thing only a real run needs is not asked for: where to push, when the checkout does not
say (a detached HEAD or a branch without upstream, as the GitLab plan job's checkout is). The
commit message then names the branch checked out, if any.
"""

from __future__ import annotations

from collections.abc import Callable

from automator.errors import UsageError
from automator.git.target import (
    Target,
    check_branch_name,
    check_remote,
    resolve_target,
    sync,
    upstream,
)
from automator.model import Plan
from automator.writeback.job import Job


def real_lead(job: Job) -> str:
    """The strategy that would lead the run without ``--dry-run``."""
    return "pr" if job.settings.pull_requests.enabled else "commit"


def commit_target(job: Job) -> Target | None:
    """Where the run would commit, as the commit session resolves it (``--remote``/``--branch``,
    else the current branch's upstream, else the current branch); None when the checkout does
    not say where to push. An argument that no checkout makes valid is refused all the same."""
    write = job.settings.write
    return _tolerant(job, lambda: resolve_target(job.ws, write.remote, write.branch, push=write.push))


def message_branch(job: Job, target: Target | None) -> str:
    """The branch the commit message's ``$branch`` names: the commit ``target``'s, else the
    branch checked out (none on a detached HEAD)."""
    return target.branch if target is not None else job.settings.write.branch or job.ws.current_branch() or ""


def check_tree(job: Job) -> Target | None:
    """The checks of the tree the run would plan on (before planning); the commit target."""
    if real_lead(job) == "pr":
        _check_pull_request_target(job)
        return None
    return _check_commit(job)


def check_pull_requests(job: Job, part: Plan) -> None:
    """The checks of the updates that would go to pull requests (``part``)."""
    from automator.writeback.pull_requests import PullRequestWriter, refuse_dirty

    if not part.updates:
        return
    if not job.settings.write.push or _check_pull_request_target(job):  # else no remote to tell the forge of
        PullRequestWriter.check(job, part)
    refuse_dirty(job.ws, job.scan, job.settings.write.own_files)


def _check_commit(job: Job) -> Target | None:
    from automator.git.clean import refuse_dirty
    from automator.git.credentials import checkout_git_environment
    from automator.git.network import check_transport

    write, ws = job.settings.write, job.ws
    refuse_dirty(ws, job.scan, write.whole_checkout, write.own_files)
    target = commit_target(job)
    if target is None or target.remote is None:
        return target
    url = target.remote_url(ws)
    if url:
        check_transport(url, what=f"remote {target.remote}")
    if not ws.has_credentials:
        ws.set_env(checkout_git_environment(job.ctx, ws, url))
    if target.detached:  # another branch: sync only fetches it, and refuses one the remote lacks
        seconds = write.retry.max_seconds
        sync(ws, target, timeout=seconds, deadline=f"the --retry-timeout deadline of {seconds:g} s")
    return target


def _check_pull_request_target(job: Job) -> bool:
    """The checks of the pull requests' branch writer; False when the checkout does not say
    where to push."""
    from automator.writeback.branches import branch_writer

    settings, write = job.settings.pull_requests, job.settings.write
    if settings.base:
        check_branch_name(settings.base, "--pr-base")
    base = settings.base or write.branch
    if write.push and _tolerant(job, lambda: resolve_target(job.ws, write.remote, base, push=True)) is None:
        return False
    branch_writer(settings, write, job.ctx, job.ws)
    return True


def _tolerant(job: Job, resolve: Callable[[], Target]) -> Target | None:
    """``resolve()``, or None when it fails only because the checkout does not say where to
    push (detached, or a branch without upstream); a bad ``--branch`` or ``--remote`` is still
    refused."""
    try:
        return resolve()
    except UsageError:
        write, ws = job.settings.write, job.ws
        current = ws.current_branch()
        if not write.push or (current is not None and upstream(ws, current)[0] is not None):
            raise
        if write.branch:
            check_branch_name(write.branch)
        if write.remote:
            check_remote(ws, write.remote)
        return None
