"""Two runs at once with different plans (one saw podinfo 6.5.1, the other already 6.6.0) both
find no pull request, both push the branch, and only one create succeeds: the other is told
the pull request already exists. The branch then holds whichever push came last. The run whose
commit is no longer on the branch leaves the pull request to the other run, so its title and
body always describe what the branch holds; the next run reconciles the two plans."""

from __future__ import annotations

import threading

import pytest
from forge_fake_github import FakeGitHub
from forge_helpers import deployment, make_env_repo, plan_for, tags

from automator.forge import GitHubForge, Settings, ensure_pull_requests
from automator.forge.body import fingerprint, parse_marker
from automator.git.branch import BranchPusher

APP = "clusters/prod/app.yaml"
BRANCH = "automator/clusters-prod/all"
TOKEN = "ghp_" + "w" * 36
SETTINGS = Settings(env_path="clusters/prod", base="main")


@pytest.fixture
def env(tmp_path):
    return make_env_repo(tmp_path, {APP: deployment()})


@pytest.fixture
def github(env):
    fake = FakeGitHub("acme/env", tokens={TOKEN: "write"}, branch_exists=env.branch_exists)
    yield fake
    fake.close()
    assert fake.unexpected == [], "requests the fake does not implement"


def forge(fake, created=None):
    class Forge(GitHubForge):
        def create(self, **kwargs):
            try:
                return super().create(**kwargs)
            finally:
                if created is not None:
                    created.set()

    return Forge(api_url=fake.base, slug="acme/env", token=TOKEN, token_variable="GITHUB_TOKEN", throttle=False)


def test_the_run_whose_push_was_overwritten_leaves_the_pull_request_to_the_other(env, github, tmp_path):
    """A pushes 6.5.1, B pushes 6.6.0 over it and creates the PR; A's create is refused (422)."""
    first, second = env.clone, env.another_clone(tmp_path / "second")
    a_pushed, b_created = threading.Event(), threading.Event()

    class PushesFirst(BranchPusher):
        def push(self, *args, **kwargs):
            commit = super().push(*args, **kwargs)
            a_pushed.set()
            b_created.wait(20)
            return commit

    class PushesSecond(BranchPusher):
        def push(self, *args, **kwargs):
            a_pushed.wait(20)
            return super().push(*args, **kwargs)

    github.gate("GET", r"/repos/acme/env/pulls", parties=2)  # both look before either creates
    results = {}
    a_plan, b_plan = plan_for(first, tags(podinfo="6.5.1")), plan_for(second, tags(podinfo="6.6.0"))

    def run_a():
        results["a"] = ensure_pull_requests(forge(github), PushesFirst(first, base="main"), a_plan, SETTINGS)

    def run_b():
        results["b"] = ensure_pull_requests(forge(github, b_created), PushesSecond(second, base="main"), b_plan, SETTINGS)

    threads = [threading.Thread(target=run_a), threading.Thread(target=run_b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(40)

    [a], [b] = results["a"], results["b"]
    tip = env.sha(BRANCH)
    assert "image: ghcr.io/acme/podinfo:6.6.0" in env.show(BRANCH, APP)
    assert (b.action, b.commit) == ("created", tip)
    assert (a.action, a.commit) == ("unchanged", tip), "A reports the branch as it is, not its own lost commit"
    assert a.warnings and "another run pushed" in a.warnings[0]
    [pull] = github.open_pulls()
    assert pull["title"] == "Update podinfo to 6.6.0 in clusters/prod"
    assert parse_marker(pull["body"]).fingerprint == fingerprint(b_plan.updates)
    assert not [r for r in github.requests if r.method == "PATCH"], "nobody rewrote the pull request"
