"""GitHub answers that are not what the API says: a sign-in page or a web front end at
--forge-url, a repository the token cannot see. Each is a forge error (exit 3) that names the
URL and what to check, never a crash and never a whole page."""

from __future__ import annotations

import pytest
from forge_fake_github import FakeGitHub
from forge_fake_http import Page
from forge_helpers import deployment, make_env_repo, plan_for, tags

from automator.forge import GitHubForge, Settings, ensure_pull_requests
from automator.git.branch import BranchPusher

APP = "clusters/prod/app.yaml"
TOKEN = "ghp_" + "w" * 36
PULLS = r"/repos/acme/env/pulls"
SIGN_IN = "<html><head><title>Sign in to your account</title></head><body>" + "x" * 2000 + "</body></html>"


@pytest.fixture
def env(tmp_path):
    return make_env_repo(tmp_path, {APP: deployment()})


@pytest.fixture
def github(env):
    fake = FakeGitHub("acme/env", tokens={TOKEN: "write"}, branch_exists=env.branch_exists)
    yield fake
    fake.close()


def failure(env, fake):
    forge = GitHubForge(api_url=fake.base, slug="acme/env", token=TOKEN, token_variable="GITHUB_TOKEN", throttle=False)
    plan = plan_for(env.clone, tags(podinfo="6.5.1"))
    [outcome] = ensure_pull_requests(forge, BranchPusher(env.clone, base="main"), plan, Settings(env_path="clusters/prod", base="main"))
    assert outcome.action == "failed"
    return outcome.error


def test_a_sign_in_page_answered_with_200_is_a_forge_error_naming_the_url(env, github):
    github.inject("GET", PULLS, 200, Page(SIGN_IN))

    error = failure(env, github)

    assert f"GitHub at {github.base} did not answer the request to list pull requests for automator/clusters-prod/all" in error
    assert "is --forge-url the API base, e.g. https://HOST/api/v3?" in error


def test_a_web_page_answered_with_404_is_named_by_its_title(env, github):
    github.inject("GET", PULLS, 404, Page(SIGN_IN))

    error = failure(env, github)

    assert "(404 Sign in to your account)" in error and "xxx" not in error
    assert "is --forge-url the API base" in error


def test_a_repository_github_does_not_find_says_it_may_be_hidden_from_the_token(env, github):
    github.inject("GET", PULLS, 404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})

    error = failure(env, github)

    assert "GitHub could not list pull requests for automator/clusters-prod/all (404 Not Found)" in error
    assert f"the repository acme/env does not exist at {github.base}, or the token in GITHUB_TOKEN cannot see it" in error
