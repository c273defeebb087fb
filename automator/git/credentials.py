"""HTTPS credentials for git, from the environment only.

The token (:func:`token_for_host`: GIT_TOKEN, else the forge's own token, else the first one set)
is handed to each git process as an ``http.extraHeader`` through ``GIT_CONFIG_COUNT`` /
``GIT_CONFIG_KEY_n`` / ``GIT_CONFIG_VALUE_n`` environment variables. It never reaches
``.git/config``, a remote URL on disk, a command line or a log line.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit, urlunsplit

from automator.context import Context
from automator.errors import register_secret

if TYPE_CHECKING:
    from automator.git.workspace import Workspace

DEFAULT_USERNAME = "x-access-token"
# set in the environment of git processes that send a token: where it came from, in words
# ("the token in GIT_TOKEN"), for the hint when the server refuses it (git ignores the variable)
TOKEN_FROM = "AUTOMATOR_GIT_TOKEN_FROM"
GITLAB_JOB_USERNAME = "gitlab-ci-token"


def token_username(ctx: Context, token: str) -> str:
    """The user name sent with the token (GitHub and GitLab accept these for tokens)."""
    explicit = ctx.get("GIT_USERNAME")
    if explicit:
        return explicit
    if token == ctx.get("CI_JOB_TOKEN") and not ctx.get("GIT_TOKEN"):
        return GITLAB_JOB_USERNAME
    return DEFAULT_USERNAME


def token_variable(ctx: Context, host: str | None) -> str | None:
    """The variable whose token is sent to ``host``: ``GIT_TOKEN`` everywhere; on GitHub
    (``github.com`` or a host whose first label is ``github``) only a GitHub token, on GitLab
    likewise only a GitLab one, so a fleet of both forges sends each its own (and never one
    forge's token to the other); elsewhere the first token set. None: no token."""
    host = (host or "").lower()
    label = host.split(".", 1)[0]
    if host == "github.com" or label == "github":
        names: tuple[str, ...] = ("GIT_TOKEN", "GITHUB_TOKEN", "GH_TOKEN")
    elif host == "gitlab.com" or label == "gitlab":
        names = ("GIT_TOKEN", "GITLAB_TOKEN", "CI_JOB_TOKEN")
    else:
        names = ("GIT_TOKEN", "GITHUB_TOKEN", "GH_TOKEN", "GITLAB_TOKEN", "CI_JOB_TOKEN")
    return next((name for name in names if ctx.get(name)), None)


def token_for_host(ctx: Context, host: str | None) -> str | None:
    """The token sent to ``host`` (see :func:`token_variable`)."""
    name = token_variable(ctx, host)
    return ctx.get(name) if name else None


def auth_header(username: str, token: str) -> str:
    raw = base64.b64encode(f"{username}:{token}".encode()).decode("ascii")
    register_secret(raw)
    return f"Authorization: Basic {raw}"


# git's words when the server refused the credentials sent, or asked for some and none were
# (git cannot prompt: GIT_TERMINAL_PROMPT=0)
_AUTH_FAILURE = re.compile(
    r"could not read (?:Username|Password) for|Authentication failed for|"
    r"returned error: 40[13]\b|\bHTTP 40[13]\b|\b40[13] (?:Unauthorized|Forbidden)\b",
    re.IGNORECASE,
)
_QUOTED_URL = re.compile(r"'([a-zA-Z][a-zA-Z0-9+.-]*://[^'\s]+)'")


def is_auth_failure(stderr: str) -> bool:
    """Whether git's ``stderr`` says the server refused (or asked for) credentials."""
    return bool(_AUTH_FAILURE.search(stderr))


def auth_failure_hint(stderr: str, env: Mapping[str, str], url: str | None = None) -> str | None:
    """What to do when git's ``stderr`` is an authentication failure (None otherwise), from the
    environment the git process had (:func:`git_environment`): a token sent and refused reads
    the same in git's words as no token at all ("could not read Username"), the hint tells which.
    ``url`` names the host (else the URL git quoted)."""
    if not is_auth_failure(stderr):
        return None
    quoted = _QUOTED_URL.search(stderr)
    try:
        host = urlsplit(url or (quoted.group(1) if quoted else "")).netloc.rpartition("@")[2]
    except ValueError:
        host = ""
    source = env.get(TOKEN_FROM)
    if not source:
        return "no token was set: set GIT_TOKEN (or GITHUB_TOKEN/GITLAB_TOKEN) to one that may read and write the repository"
    return f"{source} was refused by {host or 'the server'}: check it is valid and may read and write the repository"


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
        return {**git_environment(ctx, url=url, use_token=False),
                TOKEN_FROM: "the checkout's own Authorization header (http.extraheader in its git config)"}
    return git_environment(ctx, url=url)


def git_environment(
    ctx: Context,
    *,
    url: str | None = None,
    token: str | None = None,
    username: str | None = None,
    use_token: bool = True,
    token_from: str = "the password in the URL",
) -> dict[str, str]:
    """Environment for every git process of a run: no prompts, and the token header if any.

    With ``url`` the header is scoped to that URL's scheme and host (``http.<url>.extraHeader``)
    so the token is never sent anywhere else (submodules, redirects to other hosts); a URL that
    is not http(s) (SSH, a local path) gets no header at all. A ``token`` given is described as
    ``token_from`` when the server refuses it (:func:`auth_failure_hint`).
    """
    env = {"GIT_TERMINAL_PROMPT": "0", "GCM_INTERACTIVE": "never"}
    parts = urlsplit(url) if url else None
    variable = token_variable(ctx, parts.hostname if parts else None) if use_token and not token else None
    source = token_from if token else f"the token in {variable}"
    token = (token or (ctx.get(variable) if variable else None)) if use_token else None
    over_http = parts is not None and parts.scheme in ("http", "https") and bool(parts.netloc)
    register_secret(token)
    if token and (parts is None or over_http):
        header = auth_header(username or token_username(ctx, token), token)
        key = f"http.{parts.scheme}://{parts.netloc.rpartition('@')[2]}/.extraHeader" if parts else "http.extraHeader"
        env.update(extra_config_env([(key, header)], ctx.environ))
        env[TOKEN_FROM] = source
    return env
