"""Repositories discovered on a forge by topic, through PyGithub and python-gitlab against
strict local fakes of the documented search / group-projects endpoints."""

from __future__ import annotations

import pytest
from forge_fake_http import FakeServer, Recorded, Reply

from automator.errors import ExitCode, ForgeError, UsageError
from automator.fleet.discover import discover, parse_discovery

TOKEN = "ghp_" + "d" * 36


def github_repo(base: str, name: str, archived: bool = False, fork: bool = False) -> dict:
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
        "fork": fork,
        "topics": ["gitops-env"],
        "default_branch": "main",
    }


class FakeGitHubSearch(FakeServer):
    """GET /search/repositories?q=... (https://docs.github.com/rest/search/search#search-repositories).
    As GitHub's search does, forks are left out unless the query says fork:true
    (https://docs.github.com/search-github/searching-on-github/searching-in-forks)."""

    forks: tuple[str, ...] = ()

    def __init__(self) -> None:
        super().__init__()
        self.route("GET", r"/search/repositories", self.search)

    def search(self, request: Recorded, **_):
        if request.headers.get("authorization") != f"token {TOKEN}" and request.headers.get("authorization") != f"Bearer {TOKEN}":
            raise Reply(401, {"message": "Bad credentials"})
        qualifiers = set(request.query.get("q", "").split())
        if not {"org:acme", "topic:gitops-env", "archived:false"} <= qualifiers <= {"org:acme", "topic:gitops-env", "archived:false", "fork:true"}:
            raise Reply(422, {"message": "Validation Failed"})
        items = [github_repo(self.base, "env-prod"), github_repo(self.base, "env-eu"), github_repo(self.base, "env-old", archived=True)]
        if "fork:true" in qualifiers:
            items += [github_repo(self.base, name, fork=True) for name in self.forks]
        return 200, {"total_count": len(items), "incomplete_results": False, "items": items}


class FakeGitHubSearchWithAFork(FakeGitHubSearch):
    forks = ("env-customer",)


class FakeGitLabGroup(FakeServer):
    """GET /api/v4/groups/:id/projects (https://docs.gitlab.com/api/groups/#list-projects).
    As GitLab does, projects of other groups shared with this one come too unless
    with_shared=false (its default is true)."""

    def __init__(self) -> None:
        super().__init__()
        self.route("GET", r"/api/v4/groups/acme%2Fplatform/projects", self.projects)

    def projects(self, request: Recorded, **_):
        if request.headers.get("private-token") != "glpat-" + "e" * 20:
            raise Reply(401, {"message": "401 Unauthorized"})
        assert request.query.get("topic") == "gitops-env"
        assert request.query.get("include_subgroups") == "true" and request.query.get("archived") == "false"
        projects = [
            {"id": 7, "path_with_namespace": "acme/platform/env-a", "http_url_to_repo": "https://gitlab.example/acme/platform/env-a.git", "archived": False},
            {"id": 8, "path_with_namespace": "acme/platform/team/env-b", "http_url_to_repo": "https://gitlab.example/acme/platform/team/env-b.git", "archived": False},
        ]
        if request.query.get("with_shared", "true") == "true":
            projects.append({"id": 9, "path_with_namespace": "other/env-c", "http_url_to_repo": "https://gitlab.example/other/env-c.git", "archived": False})
        return 200, projects


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


@pytest.mark.parametrize("fake", [FakeGitHubSearchWithAFork], indirect=True)
def test_github_forks_carrying_the_topic_are_found_like_any_other_repository(fake):
    found = discover(parse_discovery("github:acme", "gitops-env", fake.base), TOKEN)
    assert [r.url for r in found] == [
        "https://github.example/acme/env-customer.git",  # a fork: GitHub's search hides it unless asked
        "https://github.example/acme/env-eu.git",
        "https://github.example/acme/env-prod.git",
    ]


@pytest.mark.parametrize("fake", [FakeGitLabGroup], indirect=True)
def test_gitlab_projects_of_other_groups_shared_with_the_group_are_not_its_own(fake):
    found = discover(parse_discovery("gitlab:acme/platform", "gitops-env", fake.base), "glpat-" + "e" * 20)
    assert "https://gitlab.example/other/env-c.git" not in [r.url for r in found]


@pytest.mark.parametrize("fake", [FakeGitHubSearch], indirect=True)
def test_a_refused_token_is_a_forge_error_that_says_what_to_check(fake):
    with pytest.raises(ForgeError, match="cannot discover repositories in github:acme") as caught:
        discover(parse_discovery("github:acme", "gitops-env", fake.base), "ghp_" + "x" * 36)
    assert "token" in str(caught.value) and caught.value.exit_code == ExitCode.WRITE_FAILED
    assert "Bad credentials" in str(caught.value)  # the forge's own word


@pytest.mark.parametrize("kind", ["github", "gitlab"])
def test_a_forge_that_cannot_be_reached_names_the_api_url_to_check(kind):
    closed = FakeServer()
    closed.close()  # nothing listens on its port any more
    with pytest.raises(ForgeError) as caught:
        discover(parse_discovery(f"{kind}:acme", "gitops-env", closed.base), "tok")
    assert f"cannot reach {closed.base}" in str(caught.value) and "--forge-url" in str(caught.value)
    assert caught.value.exit_code == ExitCode.WRITE_FAILED


@pytest.mark.parametrize(("text", "topic", "message"), [("acme", "t", "expected github:ORG"), ("bitbucket:acme", "t", "expected"), ("github:acme", None, "needs --topic"),
     ("github:acme/team", "t", "a GitHub organisation has no '/'")])
def test_bad_discovery_options(text, topic, message):
    with pytest.raises(UsageError, match=message):
        parse_discovery(text, topic)


@pytest.mark.parametrize("fake", [FakeGitHubSearch], indirect=True)
def test_a_repository_the_file_lists_keeps_its_own_entry_however_discovery_spells_it(fake, tmp_path):
    """The file lists env-prod without `.git`; the forge answers with `.git`: it runs once, as the file says."""
    from automator.commands.fleet import repositories
    from automator.context import Context
    from automator.fleet.settings import FleetSettings

    (tmp_path / "fleet.yaml").write_text("version: 1\nrepositories:\n  - url: https://github.example/acme/env-prod\n    mode: commit\n")
    settings = FleetSettings(tmp_path / "fleet.yaml", parse_discovery("github:acme", "gitops-env", fake.base))
    found, failed = repositories(settings, Context({"GITHUB_TOKEN": TOKEN}))
    assert failed is None
    assert [(r.url, r.mode) for r in found] == [
        ("https://github.example/acme/env-prod", "commit"),  # the file's own entry
        ("https://github.example/acme/env-eu.git", None),
    ]
