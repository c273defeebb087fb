"""Registry credentials found the way the docker CLI finds them, plus CI conventions.

Order for a registry host: the docker config (``credHelpers`` > ``credsStore`` > ``auths``, via
``docker.auth``), then GitLab CI (``CI_REGISTRY`` with ``CI_REGISTRY_USER``/``CI_REGISTRY_PASSWORD``
or ``CI_JOB_TOKEN``), then GitHub Actions (``GITHUB_TOKEN`` for ``ghcr.io``). Every secret found
is registered for scrubbing. The config file location comes from :class:`Context` only.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import warnings
from dataclasses import dataclass, field

from automator.context import Context
from automator.errors import RegistryError, register_secret

log = logging.getLogger("automator.registry")

DOCKER_HUB = "docker.io"
GHCR = "ghcr.io"


@dataclass(frozen=True)
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
    """Turn what ``docker.auth`` returns (``Username``/``username``, ``Password``/``Secret``,
    ``IdentityToken``) into :class:`Credentials`; ``None`` when nothing usable is in it."""
    if not data:
        return None
    lowered = {str(k).lower(): v for k, v in data.items() if isinstance(v, str) and v}
    username = lowered.get("username")
    password = lowered.get("password") or lowered.get("secret")
    identity = lowered.get("identitytoken") or lowered.get("registrytoken")
    if username == "<token>" and password and not identity:
        identity, password = password, None
    for secret in (password, identity):
        register_secret(secret)
    if not (username and password) and not identity:
        return None
    return Credentials(username=username, password=password, identity_token=identity, origin=origin)


def _auths_like_docker(auths: object) -> object:
    """``auths`` entries as the docker CLI reads them, before ``docker.auth`` sees them: plain
    ``username``/``password`` fields count when ``auth`` is empty or absent (docker.auth would
    drop them), and an ``auth`` that is not base64 of ``user:password`` is skipped with a
    warning for that host only (docker.auth would reject the whole file)."""
    if not isinstance(auths, dict):
        return auths
    fixed = {}
    for host, entry in auths.items():
        if isinstance(entry, dict):
            entry = dict(entry)
            encoded = entry.pop("auth", None)
            if encoded:
                try:
                    user, colon, password = base64.b64decode(encoded, validate=True).decode().partition(":")
                    if not colon:
                        raise ValueError("no colon")
                except (TypeError, ValueError):
                    log.warning("docker config: the auth of %s is not base64 of user:password; ignored", host)
                    continue
                entry.update(username=user, password=password)
            if isinstance(entry.get("username"), str) and isinstance(entry.get("password"), str):
                pair = f"{entry['username']}:{entry['password']}".encode()
                entry["auth"] = base64.b64encode(pair).decode()
        fixed[host] = entry
    return fixed


def _host_only(value: str) -> str:
    value = value.split("://", 1)[-1]
    return value.split("/", 1)[0].lower()


class CredentialStore:
    """Looks credentials up per registry host, once per host (helpers are slow processes)."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._config = None
        self._config_error: RegistryError | None = None
        self._loaded = False
        self._found: dict[str, Credentials | None] = {}
        self._lock = threading.Lock()

    def _docker_config(self):
        if self._loaded:
            return self._config
        self._loaded = True
        path = self._ctx.docker_config_file
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as error:
            self._config_error = RegistryError(f"cannot read docker config {path}: {error.strerror}")
            return None
        try:
            from docker.auth import load_config

            raw = json.loads(text)
            if not isinstance(raw, dict):
                raise ValueError("not a JSON object")
            # credential helpers run with our environment plus these variables
            env = {k: v for k, v in self._ctx.environ.items() if k in ("PATH", "HOME")}
            raw = {**raw, "auths": _auths_like_docker(raw["auths"])} if "auths" in raw else raw
            self._config = load_config(config_dict=raw, credstore_env=env or None)
        except Exception as error:  # malformed JSON, bad base64 in auths, ...
            self._config_error = RegistryError(
                f"docker config {path} is not valid: {type(error).__name__}",
                hint="fix the file or point DOCKER_CONFIG at another directory",
            )
            return None
        return self._config

    def _from_docker(self, host: str) -> Credentials | None:
        config = self._docker_config()
        if config is None:
            return None
        from docker.auth import resolve_authconfig

        key = None if host == DOCKER_HUB else host
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                found = resolve_authconfig(config, registry=key)
            for warning in caught:  # "docker-credential-x not installed": say so once, as a log line
                log.warning("credentials for %s: %s", host, warning.message)
        except Exception as error:  # a helper that fails or is missing
            log.warning("credential helper for %s failed (%s); going on without", host, type(error).__name__)
            return None
        return normalise_authconfig(found, origin=f"docker config {self._ctx.docker_config_file}")

    def _from_ci(self, host: str) -> Credentials | None:
        ctx = self._ctx
        gitlab = ctx.gitlab_registry
        if gitlab and _host_only(gitlab) == host:
            pair = ctx.gitlab_registry_credentials
            if pair:
                register_secret(pair[1])
                return Credentials(username=pair[0], password=pair[1], origin="GitLab CI variables")
        if host == GHCR and ctx.github_token:
            register_secret(ctx.github_token)
            user = ctx.github_actor or "x-access-token"
            return Credentials(username=user, password=ctx.github_token, origin="GITHUB_TOKEN")
        return None

    def lookup(self, host: str) -> Credentials | None:
        """Credentials for ``host`` (``docker.io`` for Docker Hub), or ``None``."""
        host = host.lower()
        with self._lock:
            if host not in self._found:
                self._found[host] = self._from_docker(host) or self._from_ci(host)
            return self._found[host]

    @property
    def config_error(self) -> RegistryError | None:
        self._docker_config()
        return self._config_error
