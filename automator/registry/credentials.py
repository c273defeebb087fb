"""Registry credentials found the way the docker CLI finds them, plus CI conventions.

Order for a registry host: the docker CLI's (``DOCKER_AUTH_CONFIG``, then ``credHelpers`` >
``credsStore`` > ``auths`` of the config file; see :mod:`automator.registry.dockerconfig`), then GitLab CI (``CI_REGISTRY`` with ``CI_REGISTRY_USER``/``CI_REGISTRY_PASSWORD``
or ``CI_JOB_TOKEN``), then GitHub Actions (``GITHUB_TOKEN`` for ``ghcr.io``). Every secret found
is registered for scrubbing. The config file location comes from :class:`Context` only.
"""

from __future__ import annotations

import base64
import logging
import threading
from dataclasses import field
from urllib.parse import quote, quote_plus

from automator.context import Context
from automator.errors import RegistryError, register_secret
from automator.registry.dockerconfig import DockerConfig, HelperError, find_entry, run_helper
from automator.values import value_type

log = logging.getLogger("automator.registry")

DOCKER_HUB = "docker.io"
GHCR = "ghcr.io"


@value_type
class Credentials:
    """Username/password or an identity (refresh) token; ``origin`` says where they came from."""

    username: str | None = None
    password: str | None = field(default=None, repr=False)
    identity_token: str | None = field(default=None, repr=False)
    origin: str = ""

    @property
    def has_basic(self) -> bool:
        return bool(self.username and self.password)


def normalise_authconfig(data: dict | None, origin: str) -> Credentials | None:
    """Turn a config entry or a credential helper's answer (``Username``/``username``,
    ``Password``/``Secret``, ``IdentityToken``) into :class:`Credentials`; ``None`` when nothing usable is in it."""
    if not data:
        return None
    lowered = {str(k).lower(): v for k, v in data.items() if isinstance(v, str) and v}
    username = lowered.get("username")
    password = lowered.get("password") or lowered.get("secret")
    identity = lowered.get("identitytoken") or lowered.get("registrytoken")
    if username == "<token>" and password and not identity:
        identity, password = password, None
    register_credentials(username, password, identity, lowered.get("auth"))
    if not (username and password) and not identity:
        return None
    return Credentials(username=username, password=password, identity_token=identity, origin=origin)


def register_credentials(username: str | None, password: str | None, identity_token: str | None,
                         *encoded: str | None) -> None:
    """Register a credential and every form it travels in (the Basic header's base64 of
    ``user:password``, a form-encoded refresh token, the config's ``auth`` field) as secrets."""
    for secret in (password, identity_token, *encoded):
        register_secret(secret)
    if identity_token:
        register_secret(quote_plus(identity_token))
    if password:
        register_secret(quote_plus(password))  # a form or query string
        register_secret(quote(password, safe=""))  # a URL echoed back percent-encoded (%20)
        for charset in ("utf-8", "latin-1"):
            try:
                pair = f"{username or ''}:{password}".encode(charset)
            except UnicodeEncodeError:
                continue
            register_secret(base64.b64encode(pair).decode())


class CredentialStore:
    """Looks credentials up per registry host, once per host (helpers are slow processes)."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._config: DockerConfig | None = None
        self._env_config: DockerConfig | None = None
        self._config_error: RegistryError | None = None
        self._loaded = False
        self._found: dict[str, Credentials | None] = {}
        self._problems: dict[str, str] = {}
        self._lock = threading.Lock()

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        inline = self._ctx.environ.get("DOCKER_AUTH_CONFIG")
        if inline and inline.strip():
            try:
                self._env_config = DockerConfig.parse(inline, "DOCKER_AUTH_CONFIG")
            except ValueError:
                log.warning("DOCKER_AUTH_CONFIG is not a JSON object like config.json; ignored")
        path = self._ctx.docker_config_file
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return
        except OSError as error:
            self._config_error = RegistryError(f"cannot read docker config {path}: {error.strerror}")
            return
        try:
            self._config = DockerConfig.parse(text, f"docker config {path}")
        except ValueError as error:
            self._config_error = RegistryError(
                f"docker config {path} is not valid: {type(error).__name__}",
                hint="fix the file or point DOCKER_CONFIG at another directory",
            )

    def _from_docker(self, host: str) -> Credentials | None:
        self._load()
        if self._env_config is not None:
            found = find_entry(self._env_config.auths, host)
            if found is not None:
                creds = normalise_authconfig(found, origin="DOCKER_AUTH_CONFIG")
                if creds is not None:
                    return creds
        config = self._config
        if config is None:
            return None
        origin = f"docker config {self._ctx.docker_config_file}"
        helper = config.helper_for(host)
        if helper:
            env = dict(self._ctx.environ) if "PATH" in self._ctx.environ else None  # helpers need a PATH
            try:
                answer = run_helper(helper, host, env)
            except HelperError as error:
                self._problems[host] = str(error)
                log.warning("credentials for %s: %s; going on without", host, error)
                answer = None
            found = normalise_authconfig(answer, origin=f"{origin} (docker-credential-{helper})")
            if found is not None:
                return found
        entry = find_entry(config.auths, host)
        return normalise_authconfig(entry, origin=origin) if entry is not None else None

    def _from_ci(self, host: str) -> Credentials | None:
        ctx = self._ctx
        gitlab = ctx.gitlab_registry
        if gitlab and _host_only(gitlab) == host:
            pair = ctx.gitlab_registry_credentials
            if pair:
                register_credentials(pair[0], pair[1], None)
                return Credentials(username=pair[0], password=pair[1], origin="GitLab CI variables")
        if host == GHCR and ctx.github_token:
            user = ctx.github_actor or "x-access-token"
            register_credentials(user, ctx.github_token, None)
            return Credentials(username=user, password=ctx.github_token, origin="GITHUB_TOKEN")
        return None

    def lookup(self, host: str) -> Credentials | None:
        """Credentials for ``host`` (``docker.io`` for Docker Hub), or ``None``."""
        host = host.lower()
        with self._lock:
            if host not in self._found:
                self._found[host] = self._from_docker(host) or self._from_ci(host)
            return self._found[host]

    def problem(self, host: str) -> str | None:
        """Why credentials for ``host`` could not be read (a credential helper's failure)."""
        self.lookup(host)
        return self._problems.get(host.lower())

    @property
    def config_error(self) -> RegistryError | None:
        self._load()
        return self._config_error


def _host_only(value: str) -> str:
    value = value.split("://", 1)[-1]
    return value.split("/", 1)[0].lower()
