"""A forge may create a pull request and still answer the create call with an error (a gateway
that timed out after the forge did its work: 502, 504, a dropped connection). The run looks
again: the PR it finds carrying its plan is its own, so it gets its labels, reviewers,
assignees and auto-merge and is reported as created. Until those were added, the PR's marker
says so (``"decorated":false``), and a later run finishes the work of a run that could not."""

from __future__ import annotations

from dataclasses import replace

import pytest
from forge_fake_github import FakeGitHub
from forge_fake_gitlab import FakeGitLab
from forge_fake_http import Reply
from forge_helpers import deployment, make_env_repo, plan_for, tags

from automator.forge import GitHubForge, GitLabForge, Settings, ensure_pull_requests
from automator.forge.body import parse_marker
from automator.git.branch import BranchPusher

APP = "clusters/prod/app.yaml"
BRANCH = "automator/clusters-prod/all"
GITHUB_TOKEN = "ghp_" + "w" * 36
GITLAB_TOKEN = "glpat-" + "a" * 20
DECORATED = Settings(env_path="clusters/prod", base="main", labels=("automated",), reviewers=("alice",), auto_merge=True)


class GitHubAnswering502AfterCreating(FakeGitHub):
    """Creates the pull request, then answers 502 like a gateway that gave up waiting;
    ``lookups_fail`` also fails the listing that follows (the forge is still in trouble)."""

    lookups_fail = False

    def create_pull(self, request):
        super().create_pull(request)
        if self.lookups_fail:
            self.inject("GET", r"/repos/acme/env/pulls", 502, {"message": "Server Error"})
        raise Reply(502, {"message": "Server Error"})


class GitLabAnswering502AfterCreating(FakeGitLab):
    def create_mr(self, request):
        super().create_mr(request)
        raise Reply(502, {"message": "502 Bad Gateway"})


@pytest.fixture
def env(tmp_path):
    return make_env_repo(tmp_path, {APP: deployment()})


@pytest.fixture
def github(env):
    fake = GitHubAnswering502AfterCreating("acme/env", tokens={GITHUB_TOKEN: "write"}, branch_exists=env.branch_exists)
    yield fake
    fake.close()
    assert fake.unexpected == [], "requests the fake does not implement"


def run_github(env, fake, settings=DECORATED):
    forge = GitHubForge(api_url=fake.base, slug="acme/env", token=GITHUB_TOKEN, token_variable="GITHUB_TOKEN", throttle=False)
    return ensure_pull_requests(forge, BranchPusher(env.clone, base="main"), plan_for(env.clone, tags(podinfo="6.5.1")), settings)


def test_a_pull_request_created_despite_a_502_is_adopted_and_decorated(env, github):
    [outcome] = run_github(env, github)

    assert (outcome.action, outcome.error, outcome.warnings) == ("created", None, ())
    assert outcome.commit == env.sha(BRANCH)
    [pull] = github.open_pulls()
    assert (pull["labels"], pull["reviewers"]) == (["automated"], ["alice"])
    assert [a["pullRequestId"] for a in github.auto_merge] == [f"PR_node{pull['number']}"]
    assert parse_marker(pull["body"]).decorated, "the body records that the decorations were added"
    assert outcome.pr.url.endswith(f"/pull/{pull['number']}")


def test_the_next_run_decorates_a_pull_request_that_an_earlier_run_could_not(env, github):
    github.lookups_fail = True
    [first] = run_github(env, github)
    assert first.action == "failed" and "502" in first.error
    [pull] = github.open_pulls()
    assert parse_marker(pull["body"]).decorated is False and pull["labels"] == []

    github.lookups_fail = False
    [second] = run_github(env, github)

    assert (second.action, second.warnings) == ("updated", ())
    assert (pull["labels"], pull["reviewers"], len(github.auto_merge)) == (["automated"], ["alice"], 1)
    assert parse_marker(pull["body"]).decorated
    seen = len(github.requests)
    [third] = run_github(env, github)
    assert third.action == "unchanged" and [r for r in github.requests[seen:] if r.is_write] == []


def test_pull_requests_without_decorations_carry_no_flag_and_cost_no_extra_write(env, github):
    [outcome] = run_github(env, github, Settings(env_path="clusters/prod", base="main"))

    assert outcome.action == "created"
    [pull] = github.open_pulls()
    assert '"decorated"' not in pull["body"] and parse_marker(pull["body"]).decorated
    assert [r.method for r in github.writes()] == ["POST"], "only the create"


def test_a_create_that_failed_without_creating_still_fails(env, github):
    github.inject("POST", r"/repos/acme/env/pulls", 503, {"message": "Service Unavailable"})

    [outcome] = run_github(env, github)

    assert outcome.action == "failed" and "503" in outcome.error
    assert github.open_pulls() == []


def test_a_merge_request_created_despite_a_502_is_adopted_and_set_to_merge(env):
    fake = GitLabAnswering502AfterCreating("platform/team/env", tokens={GITLAB_TOKEN: "api"}, branch_exists=env.branch_exists)
    try:
        forge = GitLabForge(api_url=fake.base, slug="platform/team/env", token=GITLAB_TOKEN, token_variable="GITLAB_TOKEN")
        settings = replace(DECORATED, reviewers=())
        [outcome] = ensure_pull_requests(forge, BranchPusher(env.clone, base="main"), plan_for(env.clone, tags(podinfo="6.5.1")), settings)
        [mr] = fake.open_mrs()
    finally:
        fake.close()

    assert (outcome.action, outcome.error) == ("created", None)
    assert (mr["labels"], mr["mwps"]) == (["automated"], True)
    assert parse_marker(mr["description"]).decorated
