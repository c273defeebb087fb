"""A PR that holds updates this run could not judge is kept as it is, and each stale PR is
closed (or fails) on its own: one 5xx must not hide the others."""

from __future__ import annotations

import pytest
from forge_helpers import deployment, fake_github, make_env_repo, plan_for, tags

from automator.forge import GitHubForge, Settings, ensure_pull_requests
from automator.git.branch import BranchPusher

APP = "clusters/prod/app.yaml"
ALL = "automator/clusters-prod/all"
TOKEN = "ghp_" + "k" * 36
PER_RUN = Settings(env_path="clusters/prod", base="main")
PER_IMAGE = Settings(env_path="clusters/prod", base="main", per="image")


@pytest.fixture
def env(tmp_path):
    return make_env_repo(tmp_path, {APP: deployment()})


@pytest.fixture
def github(env):
    with fake_github(env, TOKEN) as fake:
        yield fake


def run(env, fake, plan, settings=PER_RUN):
    forge = GitHubForge(api_url=fake.base, slug="acme/env", token=TOKEN, token_variable="GITHUB_TOKEN", throttle=False)
    return ensure_pull_requests(forge, BranchPusher(env.clone, base="main"), plan, settings)


def test_a_per_run_pull_request_keeps_the_update_of_an_image_that_could_not_be_checked(env, github):
    """The registry of redis failed in this run: the PR is not emptied of the redis update
    (the docs promise that PRs concerning an unchecked registry stay as they are)."""
    run(env, github, plan_for(env.clone, tags(podinfo="6.5.1", redis="7.2.4")))
    tip, body = env.sha(ALL), github.pulls[1]["body"]
    failing = plan_for(env.clone, {"ghcr.io/acme/podinfo": ["6.5.0", "6.5.1"]})  # nothing for redis
    assert failing.errors and len(failing.updates) == 1

    [outcome] = run(env, github, failing)

    assert outcome.action == "kept" and "redis" in outcome.warnings[0]
    assert env.sha(ALL) == tip and "redis:7.2.4" in env.show(ALL, APP)
    assert github.pulls[1]["body"] == body


@pytest.mark.parametrize("failing", [1, 2])
def test_one_failed_close_does_not_stop_or_hide_the_other_stale_pull_requests(env, github, failing):
    """Both updates landed on the base, so both PRs are stale; GitHub answers 502 to closing
    one of them. The other is still closed, and each is reported with what happened to it."""
    run(env, github, plan_for(env.clone, tags(podinfo="6.5.1", redis="7.2.4")), PER_IMAGE)
    env.commit_on_main(APP, deployment(podinfo="ghcr.io/acme/podinfo:6.5.1", redis="redis:7.2.4"))
    github.inject("PATCH", rf"/repos/acme/env/pulls/{failing}", 502, {"message": "Server Error"})

    outcomes = run(env, github, plan_for(env.clone, tags(podinfo="6.5.1", redis="7.2.4")), PER_IMAGE)

    by_number = {o.pr.number if o.pr else None: o for o in outcomes}
    other = 3 - failing
    assert sorted(by_number) == [1, 2]
    assert by_number[failing].action == "failed" and "502" in by_number[failing].error
    assert by_number[other].action == "closed"
    assert (github.pulls[failing]["state"], github.pulls[other]["state"]) == ("open", "closed")


@pytest.mark.parametrize(("problem_image", "concerns"), [
    ("ghcr.io/acme/podinfo", True),
    ("ghcr.io/acme/podinfo:6.5.0", True),
    ("ghcr.io/acme/podinfo@sha256:" + "a" * 64, True),
    ("acme/podinfo", True),  # a short spelling of the same repository
    ("ghcr.io/acme/podinfo-worker", False),  # another repository whose name starts the same
    ("ghcr.io/acme/podinfo-worker:6.5.0", False),
    ("ghcr.io/acme/redis", False),
], ids=["same", "tag", "digest", "short", "longer name", "longer name with tag", "other"])
def test_an_error_keeps_open_only_the_pull_requests_of_the_image_it_names(problem_image, concerns):
    from automator.forge.keep import blocked_by_problems
    from automator.model import Plan, Problem

    plan = Plan((), (Problem(f"{problem_image}: not listed", file="clusters/prod/worker.yaml", image=problem_image),), ())
    blocked = blocked_by_problems(["ghcr.io/acme/podinfo"], ["clusters/prod/app.yaml"], plan)
    assert (blocked is not None) == concerns
