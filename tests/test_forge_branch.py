"""BranchPusher: one commit on the fresh base, pushed with a lease, the checkout untouched."""

from __future__ import annotations

import pytest
from forge_helpers import deployment, git, make_env_repo, plan_for, tags

from automator.errors import AutomatorError, GitError
from automator.git.branch import BranchPusher

APP = "clusters/prod/app.yaml"
BRANCH = "automator/clusters-prod/all"


@pytest.fixture
def env(tmp_path):
    return make_env_repo(tmp_path, {APP: deployment()})


def push(env, podinfo, *, expected, may_overwrite=True, clone=None):
    plan = plan_for(clone or env.clone, tags(podinfo=podinfo))
    pusher = BranchPusher(clone or env.clone, base="main")
    return pusher.push(BRANCH, plan.updates, f"podinfo {podinfo}", expected=expected, may_overwrite=may_overwrite)


def test_the_commit_sits_on_the_fresh_base_and_the_checkout_is_untouched(env, tmp_path):
    other = env.another_clone(tmp_path / "other")
    (other / "README.md").write_text("someone else moved main\n")
    git(other, "add", "README.md")
    git(other, "commit", "--quiet", "-m", "readme")
    git(other, "push", "--quiet", "origin", "main")
    before = (git(env.clone, "rev-parse", "HEAD"), git(env.clone, "status", "--porcelain"), git(env.clone, "branch"))

    sha = push(env, "6.5.1", expected=None)

    assert env.sha(BRANCH) == sha and git(env.bare, "rev-parse", f"{sha}~1") == env.sha("main")
    assert git(env.bare, "log", "-1", "--format=%an <%ae>|%s", sha) == "Deployment Automator <automator@users.noreply.github.com>|podinfo 6.5.1"
    assert (git(env.clone, "rev-parse", "HEAD"), git(env.clone, "status", "--porcelain"), git(env.clone, "branch")) == before
    assert len(git(env.clone, "worktree", "list").splitlines()) == 1


def test_a_moved_branch_of_ours_is_overwritten_but_a_foreign_one_is_not(env, tmp_path):
    first = push(env, "6.5.1", expected=None)
    second = push(env, "6.5.2", expected=first)  # another run moved it meanwhile

    assert push(env, "6.6.0", expected=first) == env.sha(BRANCH) != second
    assert "podinfo:6.6.0" in env.show(BRANCH, APP)

    moved = env.sha(BRANCH)
    with pytest.raises(GitError, match="does not belong to Deployment Automator"):
        push(env, "6.7.0", expected=first, may_overwrite=False)
    assert env.sha(BRANCH) == moved


def test_a_concurrent_push_of_the_same_tree_is_adopted(env, tmp_path):
    other = env.another_clone(tmp_path / "other")
    theirs = push(env, "6.5.1", expected=None, clone=other)

    ours = push(env, "6.5.1", expected=None)

    assert ours == theirs == env.sha(BRANCH)


def test_updates_that_no_longer_apply_push_nothing_and_leave_no_worktree(env):
    plan = plan_for(env.clone, tags(podinfo="6.5.1"))
    env.commit_on_main(APP, deployment(podinfo="ghcr.io/acme/podinfo:6.4.0"))  # the base moved under the plan
    pusher = BranchPusher(env.clone, base="main")

    with pytest.raises(AutomatorError):
        pusher.push(BRANCH, plan.updates, "stale", expected=None, may_overwrite=True)

    assert not env.branch_exists(BRANCH)
    assert len(git(env.clone, "worktree", "list").splitlines()) == 1


def test_clone_mode_branches_push_with_the_credentials_of_the_clone(env, tmp_path):
    """``--repo URL --pr``: the clone authenticates through its environment, and so must the branch writer."""
    from git_http_server import GitHTTPServer

    from automator.context import Context
    from automator.forge.settings import PullRequestSettings
    from automator.git.clone import cloned
    from automator.git.writer import WriteOptions
    from automator.writeback.pull_requests import branch_writer

    token = "tok-" + "5" * 20
    with GitHTTPServer(env.bare.parent, "x-access-token", token) as server:
        ctx = Context({"GIT_TOKEN": token})
        with cloned(f"{server.url}/{env.bare.name}", None, ctx) as ws:
            pusher = branch_writer(PullRequestSettings(enabled=True), WriteOptions(), ctx, ws)
            plan = plan_for(ws.root, tags(podinfo="6.5.1"))
            sha = pusher.push(BRANCH, plan.updates, "podinfo 6.5.1", expected=None, may_overwrite=True)

    assert env.sha(BRANCH) == sha
    assert "podinfo:6.5.1" in env.show(BRANCH, APP)
