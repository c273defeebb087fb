"""Repositories discovered on a forge by topic, through PyGithub and python-gitlab against
strict local fakes of the documented search / group-projects endpoints."""

from __future__ import annotations

import pytest
from forge_fake_http import FakeServer, Recorded, Reply

from automator.errors import ExitCode, ForgeError, UsageError
from automator.fleet.discover import discover, parse_discovery

TOKEN = "ghp_" + "d" * 36


def github_repo(base: str, name: str, archived: bool = False) -> dict:
    return {
        "id": hash(name) % 10_000,
        "node_id": f"R_{name}",
        "name": name,
        "full_name": f"acme/{name}",
        "private": True,
        "owner": {"login": "acme", "id": 1, "type": "Organization"},
        "html_url": f"https://github.example/acme/{name}",
        "url": f"{base}/repos/acme/{name}",
        "clone_url": f"https://github.example/acme/{name}.git",
        "archived": archived,
        "topics": ["gitops-env"],
        "default_branch": "main",
    }


class FakeGitHubSearch(FakeServer):
    """GET /search/repositories?q=... (https://docs.github.com/rest/search/search#search-repositories)."""

    def __init__(self) -> None:
        super().__init__()
        self.route("GET", r"/search/repositories", self.search)

    def search(self, request: Recorded, **_):
        if request.headers.get("authorization") != f"token {TOKEN}" and request.headers.get("authorization") != f"Bearer {TOKEN}":
            raise Reply(401, {"message": "Bad credentials"})
        if request.query.get("q") != "org:acme topic:gitops-env archived:false":
            raise Reply(422, {"message": "Validation Failed"})
        items = [github_repo(self.base, "env-prod"), github_repo(self.base, "env-eu"), github_repo(self.base, "env-old", archived=True)]
        return 200, {"total_count": len(items), "incomplete_results": False, "items": items}


class FakeGitLabGroup(FakeServer):
    """GET /api/v4/groups/:id/projects (https://docs.gitlab.com/api/groups/#list-projects)."""

    def __init__(self) -> None:
        super().__init__()
        self.route("GET", r"/api/v4/groups/acme%2Fplatform/projects", self.projects)

    def projects(self, request: Recorded, **_):
        if request.headers.get("private-token") != "glpat-" + "e" * 20:
            raise Reply(401, {"message": "401 Unauthorized"})
        assert request.query.get("topic") == "gitops-env"
        assert request.query.get("include_subgroups") == "true" and request.query.get("archived") == "false"
        return 200, [
            {"id": 7, "path_with_namespace": "acme/platform/env-a", "http_url_to_repo": "https://gitlab.example/acme/platform/env-a.git", "archived": False},
            {"id": 8, "path_with_namespace": "acme/platform/team/env-b", "http_url_to_repo": "https://gitlab.example/acme/platform/team/env-b.git", "archived": False},
        ]


@pytest.fixture
def fake(request):
    server = request.param()
    yield server
    server.close()
    assert server.unexpected == []


@pytest.mark.parametrize("fake", [FakeGitHubSearch], indirect=True)
def test_github_organisation_repositories_with_the_topic(fake):
    found = discover(parse_discovery("github:acme", "gitops-env", fake.base), TOKEN, {"mode": "pr", "path": "clusters"})
    assert [(r.url, r.mode, r.paths) for r in found] == [
        ("https://github.example/acme/env-eu.git", "pr", ("clusters",)),
        ("https://github.example/acme/env-prod.git", "pr", ("clusters",)),
    ]  # the archived one is left out


@pytest.mark.parametrize("fake", [FakeGitLabGroup], indirect=True)
def test_gitlab_group_projects_with_the_topic_including_subgroups(fake):
    found = discover(parse_discovery("gitlab:acme/platform", "gitops-env", fake.base), "glpat-" + "e" * 20)
    assert [r.url for r in found] == [
        "https://gitlab.example/acme/platform/env-a.git",
        "https://gitlab.example/acme/platform/team/env-b.git",
    ]


@pytest.mark.parametrize("fake", [FakeGitHubSearch], indirect=True)
def test_a_refused_token_is_a_forge_error_that_says_what_to_check(fake):
    with pytest.raises(ForgeError, match="cannot discover repositories in github:acme") as caught:
        discover(parse_discovery("github:acme", "gitops-env", fake.base), "ghp_" + "x" * 36)
    assert "token" in str(caught.value) and caught.value.exit_code == ExitCode.WRITE_FAILED


@pytest.mark.parametrize(("text", "topic", "message"), [("acme", "t", "expected github:ORG"), ("bitbucket:acme", "t", "expected"), ("github:acme", None, "needs --topic")])
def test_bad_discovery_options(text, topic, message):
    with pytest.raises(UsageError, match=message):
        parse_discovery(text, topic)
