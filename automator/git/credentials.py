"""HTTPS credentials for git, from the environment only.

The token (:func:`token_for_host`: GIT_TOKEN, else the forge's own token, else the first one set)
is handed to each git process as an ``http.extraHeader`` through ``GIT_CONFIG_COUNT`` /
``GIT_CONFIG_KEY_n`` / ``GIT_CONFIG_VALUE_n`` environment variables. It never reaches
``.git/config``, a remote URL on disk, a command line or a log line.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit, urlunsplit

from automator.context import Context
from automator.errors import register_secret

if TYPE_CHECKING:
    from automator.git.workspace import Workspace

DEFAULT_USERNAME = "x-access-token"
GITLAB_JOB_USERNAME = "gitlab-ci-token"


def token_username(ctx: Context, token: str) -> str:
    """The user name sent with the token (GitHub and GitLab accept these for tokens)."""
    explicit = ctx.get("GIT_USERNAME")
    if explicit:
        return explicit
    if token == ctx.get("CI_JOB_TOKEN") and not ctx.get("GIT_TOKEN"):
        return GITLAB_JOB_USERNAME
    return DEFAULT_USERNAME


def token_for_host(ctx: Context, host: str | None) -> str | None:
    """The token sent to ``host``: ``GIT_TOKEN`` everywhere; on GitHub (``github.com`` or a host
    whose first label is ``github``) only a GitHub token, on GitLab likewise only a GitLab one,
    so a fleet of both forges sends each its own (and never one forge's token to the other);
    elsewhere the first token set."""
    explicit = ctx.get("GIT_TOKEN")
    if explicit:
        return explicit
    host = (host or "").lower()
    label = host.split(".", 1)[0]
    if host == "github.com" or label == "github":
        return ctx.github_token
    if host == "gitlab.com" or label == "gitlab":
        return ctx.gitlab_token
    return ctx.git_token


def auth_header(username: str, token: str) -> str:
    raw = base64.b64encode(f"{username}:{token}".encode()).decode("ascii")
    register_secret(raw)
    return f"Authorization: Basic {raw}"


def split_url_credentials(url: str) -> tuple[str, str | None, str | None]:
    """Remove ``user:password@`` from an http(s) URL; return (clean URL, user, password),
    percent-decoded as git decodes them (``p%40ss`` is ``p@ss``)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or "@" not in parts.netloc:
        return url, None, None
    userinfo, _, host = parts.netloc.rpartition("@")
    user, _, password = (unquote(part) for part in userinfo.partition(":"))
    register_secret(userinfo.partition(":")[2] or None)  # as written, and as sent
    register_secret(password or None)
    return urlunsplit(parts._replace(netloc=host)), user or None, password or None


def extra_config_env(pairs: list[tuple[str, str]], base: Mapping[str, str]) -> dict[str, str]:
    """``GIT_CONFIG_*`` variables adding ``pairs`` after any the environment already has."""
    try:
        start = int(base.get("GIT_CONFIG_COUNT", "0") or 0)
    except ValueError:
        start = 0
    env = {"GIT_CONFIG_COUNT": str(start + len(pairs))}
    for offset, (key, value) in enumerate(pairs):
        env[f"GIT_CONFIG_KEY_{start + offset}"] = key
        env[f"GIT_CONFIG_VALUE_{start + offset}"] = value
    return env


def checkout_git_environment(ctx: Context, ws: Workspace, url: str | None) -> dict[str, str]:
    """Environment for git in an existing checkout: the token header unless the checkout
    already authenticates with a header of its own (``actions/checkout`` persists one); two
    ``Authorization`` headers would make the server refuse both."""
    if ws.config.matching(r"^http\..*extraheader$"):
        return git_environment(ctx, url=url, use_token=False)
    return git_environment(ctx, url=url)


def git_environment(
    ctx: Context,
    *,
    url: str | None = None,
    token: str | None = None,
    username: str | None = None,
    use_token: bool = True,
) -> dict[str, str]:
    """Environment for every git process of a run: no prompts, and the token header if any.

    With ``url`` the header is scoped to that URL's scheme and host (``http.<url>.extraHeader``)
    so the token is never sent anywhere else (submodules, redirects to other hosts); a URL that
    is not http(s) (SSH, a local path) gets no header at all.
    """
    env = {"GIT_TERMINAL_PROMPT": "0", "GCM_INTERACTIVE": "never"}
    parts = urlsplit(url) if url else None
    token = (token or token_for_host(ctx, parts.hostname if parts else None)) if use_token else None
    over_http = parts is not None and parts.scheme in ("http", "https") and bool(parts.netloc)
    register_secret(token)
    if token and (parts is None or over_http):
        header = auth_header(username or token_username(ctx, token), token)
        key = f"http.{parts.scheme}://{parts.netloc.rpartition('@')[2]}/.extraHeader" if parts else "http.extraHeader"
        env.update(extra_config_env([(key, header)], ctx.environ))
    return env
