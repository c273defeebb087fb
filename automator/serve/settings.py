"""The settings of ``automator serve``: where it listens, how it coalesces, what it checks."""

from __future__ import annotations

from automator.serve.auth import WebhookSecrets
from automator.serve.server import Listen
from automator.values import value_type

DEFAULT_LISTEN = "127.0.0.1:8080"
DEFAULT_DEBOUNCE = 2.0
DEFAULT_QUEUE = 1000


@value_type
class ServeSettings:
    listen: Listen
    secrets: WebhookSecrets
    debounce: float = DEFAULT_DEBOUNCE
    queue_size: int = DEFAULT_QUEUE
    every: float | None = None  # a full (polling) run every so many seconds, beside the events
