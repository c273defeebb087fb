"""Which forge a remote belongs to, its API base and the project slug (pure).

Remote URLs in every form git accepts are understood::

    https://github.com/acme/env.git        git@github.com:acme/env.git
    ssh://git@gitlab.example.com:2222/platform/team/env.git

``github.com`` and ``gitlab.com`` are recognised (and hosts whose first label is ``github``
or ``gitlab``); anything else needs ``--forge github|gitlab``. ``--forge-url`` gives the API
base for GitHub Enterprise (``https://ghe.example.com/api/v3``) or self-hosted GitLab
(``https://gitlab.example.com``); without it the base is derived from the remote's host.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from automator.errors import ConfigError
from automator.values import value_type

_SCP_LIKE = re.compile(r"^(?:[^@/]+@)?(?P<host>[^:/]+):(?P<path>[^/].*)$")


@value_type
class Remote:
    host: str
    slug: str


@value_type
class ForgeTarget:
    kind: str
    api_url: str
    slug: str


def parse_remote(url: str) -> Remote:
    """Host and project slug (``owner/name``, GitLab subgroups kept) of a git remote URL."""
    text = url.strip()
    host, path = "", ""
    if "://" in text:
        parts = urlsplit(text)
        host, path = parts.hostname or "", parts.path
    elif match := _SCP_LIKE.match(text):
        host, path = match.group("host"), match.group("path")
    slug = path.strip("/")
    slug = slug[: -len(".git")] if slug.endswith(".git") else slug
    if not host or slug.count("/") < 1:
        raise ConfigError(
            f"cannot read host and project from the remote URL {_safe(text)!r}",
            hint="expected forms like https://github.com/OWNER/REPO.git or git@gitlab.com:GROUP/PROJECT.git",
        )
    return Remote(host=host.lower(), slug=slug)


def _safe(url: str) -> str:
    return re.sub(r"//[^/@]+@", "//***@", url)


def guess_kind(host: str) -> str | None:
    first = host.split(".", 1)[0]
    if host == "github.com" or first == "github":
        return "github"
    if host == "gitlab.com" or first == "gitlab":
        return "gitlab"
    return None


def default_api_url(kind: str, host: str) -> str:
    if kind == "github":
        return "https://api.github.com" if host == "github.com" else f"https://{host}/api/v3"
    return f"https://{host}"


def resolve_target(remote_url: str, *, kind: str | None = None, api_url: str | None = None) -> ForgeTarget:
    """The forge for a remote: detected from its host unless ``kind`` says otherwise."""
    remote = parse_remote(remote_url)
    chosen = kind or guess_kind(remote.host)
    if chosen is None:
        raise ConfigError(
            f"cannot tell whether {remote.host} is GitHub or GitLab",
            hint="pass --forge github or --forge gitlab (and --forge-url for the API base)",
        )
    if chosen not in ("github", "gitlab"):
        raise ConfigError(f"unknown forge {chosen!r}", hint="use github or gitlab")
    return ForgeTarget(kind=chosen, api_url=(api_url or default_api_url(chosen, remote.host)).rstrip("/"), slug=remote.slug)
