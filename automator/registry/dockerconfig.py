"""The docker CLI's credential rules, read without a docker daemon or SDK.

For a registry host the docker CLI asks, in this order:

1. ``DOCKER_AUTH_CONFIG`` (current docker CLIs; GitLab CI uses it too): a JSON document like
   ``config.json`` whose ``auths`` entries carry ``auth`` (base64 of ``user:password``);
2. the credential helper for the host (``credHelpers``), else the default one (``credsStore``);
3. the ``auths`` entries of ``config.json``.

Entries are found by the CLI's key for the host: ``https://index.docker.io/v1/`` for Docker Hub
(so that key wins over a ``docker.io`` one when both are present), the host itself for any
other registry; then by the host part of the other keys (``https://registry.example/v2/``).
A credential helper is a program ``docker-credential-NAME``; it gets 10 s, and when it is
missing, fails or hangs, the message names it.
"""

from __future__ import annotations

import base64
import json
import logging
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field

log = logging.getLogger("automator.registry")

DOCKER_HUB = "docker.io"
HUB_KEY = "https://index.docker.io/v1/"
HUB_NAMES = ("docker.io", "index.docker.io", "registry-1.docker.io")
HELPER_TIMEOUT = 10.0
NOT_FOUND = "credentials not found"


class HelperError(Exception):
    """A credential helper that is missing, failed or did not answer; the message names it."""


def server_key(host: str) -> str:
    """The key the docker CLI looks a host up by."""
    return HUB_KEY if host == DOCKER_HUB else host


def hostname_of(key: str) -> str:
    """``https://registry.example:5000/v2/`` -> ``registry.example:5000`` (docker's ConvertToHostname)."""
    return key.split("://", 1)[-1].split("/", 1)[0].lower()


def _matches(key: str, host: str) -> bool:
    name = hostname_of(key)
    return name == host or (host == DOCKER_HUB and name in HUB_NAMES)


def find_entry(auths: Mapping[str, dict], host: str) -> dict | None:
    """The ``auths`` entry for ``host``: the CLI's key first, then any key naming that host."""
    exact = auths.get(server_key(host))
    if exact is not None:
        return exact
    return next((entry for key, entry in auths.items() if _matches(key, host)), None)


def decode_entry(entry: object, key: str, where: str) -> dict | None:
    """An ``auths`` entry as plain fields: ``auth`` decoded into username/password, plain
    ``username``/``password`` fields when ``auth`` is empty, ``identitytoken``. An ``auth`` that
    is not base64 of ``user:password`` spoils this entry only (a warning names its key)."""
    if not isinstance(entry, dict):
        return None
    fields = {str(k).lower(): v for k, v in entry.items() if isinstance(v, str) and v}
    encoded = fields.pop("auth", None)
    if encoded:
        try:
            user, password = decode_auth(encoded)
        except (TypeError, ValueError):
            log.warning("%s: the auth of %s is not base64 of user:password; ignored", where, key)
            return None
        fields.update(username=user, password=password, auth=encoded)
    return fields


def decode_auth(encoded: str) -> tuple[str, str]:
    """``auth`` as docker's ``decodeAuth`` reads it: line breaks skipped (Go's base64 ignores
    ``\\r`` and ``\\n``, so a value wrapped by ``base64`` at 76 characters works), NULs trimmed
    off both ends of the password; ``ValueError`` when it is not base64 of ``user:password``."""
    compact = encoded.replace("\r", "").replace("\n", "")
    user, colon, password = base64.b64decode(compact, validate=True).decode().partition(":")
    if not colon:
        raise ValueError("no colon")
    return user, password.strip("\x00")


@dataclass
class DockerConfig:
    """What a ``config.json`` (or ``DOCKER_AUTH_CONFIG``) says about credentials."""

    auths: dict[str, dict] = field(default_factory=dict)
    cred_helpers: dict[str, str] = field(default_factory=dict)
    creds_store: str | None = None

    @classmethod
    def parse(cls, text: str, where: str) -> DockerConfig:
        """Raises ``ValueError`` when ``text`` is not a JSON object (the caller names the file)."""
        raw = json.loads(text)
        if not isinstance(raw, dict):
            raise ValueError("not a JSON object")
        auths = raw.get("auths") if isinstance(raw.get("auths"), dict) else {}
        decoded = {str(k): decode_entry(v, str(k), where) for k, v in auths.items()}
        helpers = raw.get("credHelpers") if isinstance(raw.get("credHelpers"), dict) else {}
        store = raw.get("credsStore")
        return cls(
            auths={k: v for k, v in decoded.items() if v is not None},
            cred_helpers={str(k): v for k, v in helpers.items() if isinstance(v, str) and v},
            creds_store=store if isinstance(store, str) and store else None,
        )

    def helper_for(self, host: str) -> str | None:
        return self.cred_helpers.get(server_key(host)) or self.creds_store


def run_helper(name: str, host: str, env: Mapping[str, str] | None, timeout: float = HELPER_TIMEOUT) -> dict | None:
    """``docker-credential-NAME get`` for ``host`` in environment ``env`` (``None``: the
    process's own), found on its ``PATH``: its answer, ``None`` when it has no entry;
    :class:`HelperError` (naming the program) when it is missing, fails or exceeds ``timeout``."""
    program = f"docker-credential-{name}"
    environment = dict(env) if env is not None else None  # None: the process's own environment
    found = shutil.which(program, path=(environment or {}).get("PATH"))
    if found is None:
        raise HelperError(f"credential helper {program} is not installed (not found on PATH)")
    try:
        done = subprocess.run([found, "get"], input=server_key(host), capture_output=True, text=True,
                              timeout=timeout, env=environment, check=False)
    except FileNotFoundError:
        raise HelperError(f"credential helper {program} is not installed (not found on PATH)") from None
    except subprocess.TimeoutExpired:
        raise HelperError(f"credential helper {program} did not answer within {timeout:g} s; stopped it") from None
    except OSError as error:
        raise HelperError(f"credential helper {program} cannot be run ({error.strerror})") from None
    output = (done.stdout or "").strip()
    if done.returncode != 0:
        if NOT_FOUND in output.lower() or NOT_FOUND in (done.stderr or "").lower():
            return None
        said = (output or (done.stderr or "").strip()).splitlines()[:1]
        detail = f": {said[0][:200]}" if said else ""
        raise HelperError(f"credential helper {program} failed (exit {done.returncode}){detail}")
    try:
        answer = json.loads(output)
    except ValueError:
        raise HelperError(f"credential helper {program} answered something that is not JSON") from None
    return answer if isinstance(answer, dict) else None
