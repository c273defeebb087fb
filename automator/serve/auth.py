"""Webhook credentials, one kind per source, compared in constant time.

* GitHub signs the body: ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>``.
* The distribution registry, Harbor and generic senders send a shared bearer token
  (``Authorization: Bearer <token>``), which each can be configured to send.
* Docker Hub cannot send headers, so its secret is the last path segment
  (``/hooks/dockerhub/<token>``).
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

from automator.errors import ConfigError, register_secret
from automator.values import value_type

TOKEN_VARIABLE = "AUTOMATOR_WEBHOOK_TOKEN"
GITHUB_SECRET_VARIABLE = "AUTOMATOR_GITHUB_WEBHOOK_SECRET"
DOCKERHUB_TOKEN_VARIABLE = "AUTOMATOR_DOCKERHUB_WEBHOOK_TOKEN"


@value_type(repr=False)
class WebhookSecrets:
    """The secrets the receiver checks; a source whose secret is unset is refused (401)
    unless ``insecure_no_auth`` is set."""

    token: str | None = None
    github_secret: str | None = None
    dockerhub_token: str | None = None
    insecure_no_auth: bool = False

    def __repr__(self) -> str:  # never print a secret, even in a debug dump
        configured = [name for name in ("token", "github_secret", "dockerhub_token") if getattr(self, name)]
        return f"WebhookSecrets(configured={configured}, insecure_no_auth={self.insecure_no_auth})"

    @property
    def any(self) -> bool:
        return bool(self.token or self.github_secret or self.dockerhub_token)


def read_secret(value: str | None, file: Path | None, what: str) -> str | None:
    """A secret from its file (when given) or its environment value; registered for scrubbing."""
    if file is not None:
        try:
            value = Path(file).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as error:
            raise ConfigError(f"cannot read the {what} file {file}: {getattr(error, 'strerror', None) or error}") from None
        if not value:
            raise ConfigError(f"the {what} file {file} is empty")
    value = value.strip() if value else None
    register_secret(value)
    return value or None


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode("utf-8", "surrogateescape"))


# --insecure-no-auth opens only the sources without a secret: one that has a secret checks it
def bearer_ok(secrets: WebhookSecrets, authorization: str | None) -> bool:
    if not secrets.token:
        return secrets.insecure_no_auth
    if not authorization:
        return False
    scheme, _, token = authorization.strip().partition(" ")
    return scheme.lower() == "bearer" and _same(token.strip(), secrets.token)


def github_signature_ok(secrets: WebhookSecrets, signature: str | None, body: bytes) -> bool:
    if not secrets.github_secret:
        return secrets.insecure_no_auth
    if not signature or not signature.startswith("sha256="):
        return False
    expected = "sha256=" + hmac.new(secrets.github_secret.encode(), body, hashlib.sha256).hexdigest()
    return _same(signature.strip(), expected)


def dockerhub_token_ok(secrets: WebhookSecrets, token: str | None) -> bool:
    if not secrets.dockerhub_token:
        return secrets.insecure_no_auth
    return bool(token and _same(token, secrets.dockerhub_token))
