"""GitLab answers that are not what the API says: a web page at --forge-url, a project the
token cannot see. Errors say what happened in a line and what to check."""

from __future__ import annotations

import pytest
from forge_fake_gitlab import FakeGitLab
from forge_fake_http import Page
from forge_helpers import deployment, make_env_repo, plan_for, tags

from automator.forge import GitLabForge, Settings, ensure_pull_requests
from automator.git.branch import BranchPusher

APP = "clusters/prod/app.yaml"
TOKEN = "glpat-" + "a" * 20
MERGE_REQUESTS = r"/api/v4/projects/acme%2Fenv/merge_requests"
NOT_FOUND_PAGE = "<!DOCTYPE html><html><head><title>Page not found</title></head><body>" + "x" * 2000 + "</body></html>"


@pytest.fixture
def env(tmp_path):
    return make_env_repo(tmp_path, {APP: deployment()})


@pytest.fixture
def gitlab(env):
    fake = FakeGitLab("acme/env", tokens={TOKEN: "api"}, branch_exists=env.branch_exists)
    yield fake
    fake.close()


def failure(env, fake):
    forge = GitLabForge(api_url=fake.base, slug="acme/env", token=TOKEN, token_variable="GITLAB_TOKEN")
    plan = plan_for(env.clone, tags(podinfo="6.5.1"))
    [outcome] = ensure_pull_requests(forge, BranchPusher(env.clone, base="main"), plan, Settings(env_path="clusters/prod", base="main"))
    assert outcome.action == "failed"
    return outcome.error


def test_a_web_page_instead_of_the_api_is_named_by_its_title_not_pasted_whole(env, gitlab):
    gitlab.inject("GET", MERGE_REQUESTS, 404, Page(NOT_FOUND_PAGE))

    error = failure(env, gitlab)

    assert f"GitLab at {gitlab.base} did not answer the request to list merge requests" in error
    assert "(404 Page not found)" in error and "xxx" not in error
    assert "is --forge-url the GitLab base, e.g. https://HOST (without /api/v4)?" in error


def test_a_sign_in_page_answered_with_200_is_a_forge_error_with_the_url(env, gitlab):
    gitlab.inject("GET", MERGE_REQUESTS, 200, Page("<html><body>Sign in</body></html>"))

    error = failure(env, gitlab)

    assert f"GitLab at {gitlab.base} did not answer the request to list merge requests" in error
    assert "is --forge-url the GitLab base" in error


def test_a_project_gitlab_does_not_find_is_named_with_what_to_check(env, gitlab):
    gitlab.inject("GET", MERGE_REQUESTS, 404, {"message": "404 Project Not Found"})

    error = failure(env, gitlab)

    assert "GitLab could not list merge requests for automator/clusters-prod/all (404 Project Not Found)" in error
    assert f"the project acme/env does not exist at {gitlab.base}, or the token in GITLAB_TOKEN cannot see it" in error
