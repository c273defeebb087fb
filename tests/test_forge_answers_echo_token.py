"""A proxy or gateway page that echoes the request's token back (``Authorization: token ...``)
in front of the forge's API: the error shows a line of that page, shortened, and never any
part of the token. The page is scrubbed first, then cut: a token cut in two by the limit
would no longer be recognised, and its first characters would be shown."""

from __future__ import annotations

import pytest
from forge_fake_github import FakeGitHub
from forge_fake_gitlab import FakeGitLab
from forge_fake_http import Page
from forge_helpers import deployment, make_env_repo, plan_for, tags

from automator.errors import register_secret
from automator.forge import GitHubForge, GitLabForge, Settings, ensure_pull_requests
from automator.forge.answers import MAX_SHOWN
from automator.git.branch import BranchPusher

APP = "clusters/prod/app.yaml"
# no well-known token shape: only its registration (the run registers every token variable) hides it
TOKEN = "Zq8rVt3mXw9Lp2Kd7Hs4Nb6Cj1Fg5Ry0"
PREFIX = "Request blocked by the gateway policy of this network segment Method GET Authorization token "


def gateway_page(token: str) -> Page:
    """The block page of a gateway that shows the request it refused, its token included."""
    return Page("<html><body><h1>Request blocked by the gateway policy of this network segment</h1>"
                f"<table><tr><td>Method</td><td>GET</td></tr><tr><td>Authorization</td><td>token {token}</td></tr>"
                "</table></body></html>")


@pytest.fixture
def env(tmp_path):
    register_secret(TOKEN)
    return make_env_repo(tmp_path, {APP: deployment()})


def failed(env, forge) -> str:
    plan = plan_for(env.clone, tags(podinfo="6.5.1"))
    [outcome] = ensure_pull_requests(forge, BranchPusher(env.clone, base="main"), plan, Settings(env_path="clusters/prod", base="main"))
    assert outcome.action == "failed"
    return outcome.error


def test_a_github_gateway_page_echoing_the_token_shows_none_of_it(env):
    assert len(PREFIX) < MAX_SHOWN < len(PREFIX) + len(TOKEN)  # the line is cut inside the token
    fake = FakeGitHub("acme/env", tokens={TOKEN: "write"}, branch_exists=env.branch_exists)
    try:
        fake.inject("GET", r"/repos/acme/env/pulls", 403, gateway_page(TOKEN))
        forge = GitHubForge(api_url=fake.base, slug="acme/env", token=TOKEN, token_variable="GITHUB_TOKEN", throttle=False)

        error = failed(env, forge)
    finally:
        fake.close()

    assert "Request blocked by the gateway policy" in error and "Authorization token ***" in error
    assert TOKEN[:4] not in error


def test_a_gitlab_gateway_page_echoing_the_token_shows_none_of_it(env):
    fake = FakeGitLab("acme/env", tokens={TOKEN: "api"}, branch_exists=env.branch_exists)
    try:
        fake.inject("GET", r"/api/v4/projects/acme%2Fenv/merge_requests", 403, gateway_page(TOKEN))
        forge = GitLabForge(api_url=fake.base, slug="acme/env", token=TOKEN, token_variable="GITLAB_TOKEN")

        error = failed(env, forge)
    finally:
        fake.close()

    assert "Request blocked by the gateway policy" in error and "Authorization token ***" in error
    assert TOKEN[:4] not in error
