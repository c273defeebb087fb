"""Environment repositories found on a forge: ``--discover github:ORG --topic T`` or
``--discover gitlab:GROUP --topic T`` (subgroups included), through PyGithub / python-gitlab.

Archived repositories are left out, forks are found like any other repository, and a GitLab
group's projects are its own (not those of other groups shared with it). Each found repository
gets the fleet file's defaults.
"""

from __future__ import annotations

from collections.abc import Mapping

from automator.errors import ForgeError, UsageError
from automator.fleet.spec import FleetRepository, repository_from
from automator.values import value_type

DEFAULT_API = {"github": "https://api.github.com", "gitlab": "https://gitlab.com"}


@value_type
class Discovery:
    kind: str  # github | gitlab
    owner: str  # organisation or group path
    topic: str
    api_url: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.owner} (topic {self.topic})"


def parse_discovery(text: str, topic: str | None, api_url: str | None = None) -> Discovery:
    kind, sep, owner = text.strip().partition(":")
    if not sep or kind not in DEFAULT_API or not owner.strip("/"):
        raise UsageError(f"--discover {text!r}: expected github:ORG or gitlab:GROUP (for example gitlab:acme/platform)")
    if kind == "github" and "/" in owner.strip("/"):  # GitHub's search would refuse it (422)
        raise UsageError(f"--discover {text!r}: a GitHub organisation has no '/'",
                         hint="name the organisation (github:acme); the topic selects its repositories")
    if not topic:
        raise UsageError("--discover needs --topic TOPIC: only repositories carrying that topic are run")
    return Discovery(kind, owner.strip("/"), topic, (api_url or DEFAULT_API[kind]).rstrip("/"))


def discover(discovery: Discovery, token: str | None, defaults: Mapping[str, object] | None = None) -> list[FleetRepository]:
    """The clone URLs of the owner's repositories carrying the topic, as fleet entries."""
    finder = _github if discovery.kind == "github" else _gitlab
    try:
        urls = finder(discovery, token)
    except ForgeError:
        raise
    except Exception as error:  # the libraries' own exception trees (bad credentials, 404, network)
        status = getattr(error, "status", None) or getattr(error, "response_code", None)
        if status is None:  # no answer at all
            raise ForgeError(f"cannot discover repositories in {discovery}: cannot reach {discovery.api_url} ({type(error).__name__})",
                             hint="check --forge-url and the network") from None
        said = _said(error) or type(error).__name__
        raise ForgeError(
            f"cannot discover repositories in {discovery}: {said if said.startswith(str(status)) else f'{status} {said}'}",
            hint="check the owner's name and that the token may read its repositories",
        ) from None
    return [repository_from({**(defaults or {}), "url": url}, str(discovery)) for url in sorted(set(urls))]


def _said(error: Exception) -> str | None:
    """The forge's own message: PyGithub's ``data["message"]``, python-gitlab's ``error_message``."""
    data = getattr(error, "data", None)
    said = data.get("message") if isinstance(data, dict) else getattr(error, "error_message", None)
    return str(said) if said else None


def _github(discovery: Discovery, token: str | None) -> list[str]:
    from github import Auth, Github

    gh = Github(auth=Auth.Token(token) if token else None, base_url=discovery.api_url, retry=None, timeout=30)
    # GitHub's search leaves forks out unless asked for them
    query = f"org:{discovery.owner} topic:{discovery.topic} archived:false fork:true"
    return [repo.clone_url for repo in gh.search_repositories(query=query) if not repo.archived]


def _gitlab(discovery: Discovery, token: str | None) -> list[str]:
    import gitlab

    gl = gitlab.Gitlab(url=discovery.api_url, private_token=token, timeout=30)
    group = gl.groups.get(discovery.owner, lazy=True)
    # booleans as the API documents them ("true"), not Python's spelling
    # with_shared: GitLab's default would add other groups' projects shared with this one
    projects = group.projects.list(topic=discovery.topic, include_subgroups="true", with_shared="false", archived="false", iterator=True)
    return [project.http_url_to_repo for project in projects if not getattr(project, "archived", False)]
