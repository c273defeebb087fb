"""The one reader of environment variables: CI detection, tokens and defaults.

Everything else receives a :class:`Context`; tests build one from a plain dict.
Every token read here is registered with :func:`automator.errors.register_secret` so that it
can never be printed.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping

from automator.errors import UsageError, register_secret
from automator.frozen import Frozen, set_field

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Literal

    CIKind = Literal["github", "gitlab", "generic"]

_TOKEN_VARIABLES = (
    "REDIS_PASSWORD",
    "GIT_TOKEN",
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "GITLAB_TOKEN",
    "CI_JOB_TOKEN",
    "CI_REGISTRY_PASSWORD",
    "AUTOMATOR_REGISTRY_PASSWORD",
)


def terminal_columns(fallback: int = 80) -> int:
    """The width of the terminal, as ``shutil.get_terminal_size().columns`` gives it: a
    positive ``$COLUMNS`` first, then the terminal of stdout, else ``fallback``."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or fallback


def _ttl_seconds(value: str, name: str) -> float:
    """A time to live: 0 or more seconds (``inf`` too), or an interval such as ``15m``."""
    from automator.schedule import parse_interval

    seconds: float | None = None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = 0.0 if re.fullmatch(r"(?:0+(?:\.0*)?[smhd])+", value.lower()) else parse_interval(value)
        except UsageError:
            pass
    if seconds is None or not seconds >= 0:  # nan and negatives too
        raise UsageError(f"{name} must be a number of seconds (0 or more) or an interval such as 15m, not {value!r}",
                         hint="e.g. 900 or 15m; 0 asks the registries every time")
    return seconds


class Context(Frozen):
    """What the process was started with: its environment variables (``environ``)."""

    __slots__ = ("environ",)
    environ: Mapping[str, str]

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        set_field(self, "environ", {} if environ is None else environ)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Context:
        env = dict(os.environ if environ is None else environ)
        for name in _TOKEN_VARIABLES:
            register_secret(env.get(name))
        return cls(environ=env)

    def get(self, name: str, default: str | None = None) -> str | None:
        value = self.environ.get(name)
        return value if value not in (None, "") else default

    @property
    def ci(self) -> CIKind | None:
        if self.get("GITHUB_ACTIONS") == "true":
            return "github"
        if self.get("GITLAB_CI") == "true":
            return "gitlab"
        if self.get("CI") in ("true", "1"):
            return "generic"
        return None

    @property
    def home(self) -> Path:
        from pathlib import Path  # here: a command that needs no path (select) never loads pathlib

        return Path(self.get("HOME") or Path.home())

    @property
    def cache_dir(self) -> Path:
        from pathlib import Path

        explicit = self.get("AUTOMATOR_CACHE_DIR")
        if explicit:
            return Path(explicit)
        base = self.get("XDG_CACHE_HOME")
        return (Path(base) if base else self.home / ".cache") / "deployment-automator"

    @property
    def docker_config_dir(self) -> Path | None:
        from pathlib import Path

        value = self.get("DOCKER_CONFIG")
        return Path(value) if value else None

    # --- tokens, first found wins -------------------------------------------------------------

    def first(self, *names: str) -> str | None:
        for name in names:
            value = self.get(name)
            if value:
                return value
        return None

    @property
    def github_token(self) -> str | None:
        return self.first("GITHUB_TOKEN", "GH_TOKEN")

    @property
    def gitlab_token(self) -> str | None:
        return self.first("GITLAB_TOKEN", "CI_JOB_TOKEN")

    @property
    def git_token(self) -> str | None:
        return self.first("GIT_TOKEN", "GITHUB_TOKEN", "GH_TOKEN", "GITLAB_TOKEN", "CI_JOB_TOKEN")

    # --- registries ---------------------------------------------------------------------------

    @property
    def docker_config_file(self) -> Path:
        """The docker CLI's config.json: ``$DOCKER_CONFIG/config.json`` or ``~/.docker/config.json``."""
        directory = self.docker_config_dir or self.home / ".docker"
        return directory / "config.json"

    @property
    def cache_ttl(self) -> float | None:
        """``AUTOMATOR_CACHE_TTL``: how long a cached tag list stays fresh (None: the default),
        in seconds (``900``, ``0``: always ask, ``inf``: for ever) or as an interval like
        ``--every`` takes (``15m``, ``1h30m``, ``0s``); anything else is a :class:`UsageError`
        naming the variable, not the default taken in silence."""
        value = self.get("AUTOMATOR_CACHE_TTL")
        return None if value is None else _ttl_seconds(value.strip(), "AUTOMATOR_CACHE_TTL")

    @property
    def registry_timeout(self) -> str | None:
        """``AUTOMATOR_REGISTRY_TIMEOUT``: the default of ``--registry-timeout`` (checked there)."""
        value = self.get("AUTOMATOR_REGISTRY_TIMEOUT")
        return value if value and value.strip() else None

    @property
    def ca_bundle(self) -> str | None:
        """The CA file (or directory) registries are verified with: the first set of
        ``REQUESTS_CA_BUNDLE`` and ``CURL_CA_BUNDLE`` (as ``requests`` reads them), ``SSL_CERT_FILE``
        and ``SSL_CERT_DIR`` (as OpenSSL does); None: the CAs shipped with ``requests``."""
        return self.first("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR")

    @property
    def github_actor(self) -> str | None:
        return self.get("GITHUB_ACTOR")

    @property
    def gitlab_registry(self) -> str | None:
        """``CI_REGISTRY`` (host[:port]) of a GitLab CI job, for its registry credentials."""
        return self.get("CI_REGISTRY")

    @property
    def gitlab_registry_credentials(self) -> tuple[str, str] | None:
        """``CI_REGISTRY_USER``/``CI_REGISTRY_PASSWORD``, else ``gitlab-ci-token``/``CI_JOB_TOKEN``."""
        user, password = self.get("CI_REGISTRY_USER"), self.get("CI_REGISTRY_PASSWORD")
        if user and password:
            return user, password
        job_token = self.get("CI_JOB_TOKEN")
        return ("gitlab-ci-token", job_token) if job_token else None

    @property
    def proxies(self) -> dict[str, str]:
        """Proxy settings (``HTTPS_PROXY``, ``HTTP_PROXY``, ``ALL_PROXY``, ``NO_PROXY``)."""
        result: dict[str, str] = {}
        for key in ("https", "http", "all", "no"):
            value = self.first(f"{key}_proxy", f"{key.upper()}_PROXY")
            if value:
                result[key] = value
        return result
