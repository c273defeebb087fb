"""A pull request whose branch no longer merges into the moved base is rebuilt on it.

The plan (and so the marker's fingerprint) may stay the same while the base moves under the
branch: a person merged the pull request of a neighbouring image, whose line touches ours. The
branch is then rebuilt on the fresh base and pushed with a lease, instead of being reported
"unchanged" on every run while nobody can merge it.
"""

from __future__ import annotations

import subprocess

import pytest
from forge_fake_github import FakeGitHub
from forge_helpers import deployment, git, make_env_repo, plan_for, tags

from automator.forge import GitHubForge, Settings, ensure_pull_requests
from automator.writeback import branches
from automator.writeback.branches import PullRequestBranches

APP = "clusters/prod/app.yaml"
TOKEN = "ghp_" + "w" * 36
PODINFO = "automator/clusters-prod/podinfo"
REDIS = "automator/clusters-prod/redis"
PER_IMAGE = Settings(env_path="clusters/prod", base="main", per="image")
# the cache container's image line sits right under podinfo's, so their edits touch
ADJACENT = deployment().replace("        - name: cache\n          image: redis:7.2.3\n", "        - image: redis:7.2.3\n          name: cache\n")


@pytest.fixture
def env(tmp_path):
    return make_env_repo(tmp_path, {APP: ADJACENT})


@pytest.fixture
def github(env):
    fake = FakeGitHub("acme/env", tokens={TOKEN: "write"}, branch_exists=env.branch_exists)
    yield fake
    fake.close()
    assert fake.unexpected == []


def run(env, fake, registry):
    forge = GitHubForge(api_url=fake.base, slug="acme/env", token=TOKEN, token_variable="GITHUB_TOKEN", throttle=False)
    plan = plan_for(env.clone, registry)
    return {o.branch: o for o in ensure_pull_requests(forge, PullRequestBranches(env.clone, base="main"), plan, PER_IMAGE)}


def merges_cleanly(env, branch):
    return subprocess.run(["git", "merge-tree", "--write-tree", "main", branch], cwd=env.bare, capture_output=True).returncode == 0


def merge_by_hand(env, tmp_path, branch, fake):
    """A person merges the pull request of ``branch`` on the forge."""
    human = env.another_clone(tmp_path / "human")
    git(human, "merge", "--quiet", "--no-ff", "-m", f"Merge {branch}", f"origin/{branch}")
    git(human, "push", "--quiet", "origin", "main")
    git(env.clone, "pull", "--quiet", "--ff-only")
    for pull in fake.pulls.values():
        if pull["head"] == branch:
            pull["state"] = "closed"


def test_a_branch_that_conflicts_with_the_moved_base_is_rebuilt_on_it(env, github, tmp_path):
    both = tags(podinfo="6.5.1", redis="7.2.4")
    first = run(env, github, both)
    merge_by_hand(env, tmp_path, REDIS, github)
    assert not merges_cleanly(env, PODINFO)

    second = run(env, github, both)

    assert second[PODINFO].action == "updated" and second[PODINFO].pr.number == first[PODINFO].pr.number
    assert merges_cleanly(env, PODINFO)
    assert env.sha("main") == env.sha(f"{PODINFO}~1"), "one commit on top of the fresh base"
    assert "podinfo:6.5.1" in env.show(PODINFO, APP) and "redis:7.2.4" in env.show(PODINFO, APP)
    assert [p["head"] for p in github.open_pulls()] == [PODINFO]


def test_without_merge_tree_the_branch_is_taken_to_merge(env, github, tmp_path, monkeypatch):
    both = tags(podinfo="6.5.1", redis="7.2.4")
    run(env, github, both)
    merge_by_hand(env, tmp_path, REDIS, github)
    tip = env.sha(PODINFO)
    monkeypatch.setattr(branches, "run_command", lambda *args, **kwargs: (129, "", "error: unknown option `write-tree'"))

    second = run(env, github, both)

    assert second[PODINFO].action == "unchanged" and env.sha(PODINFO) == tip
