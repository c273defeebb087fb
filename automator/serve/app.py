"""The WSGI application of ``automator serve``: verify, enqueue, answer at once.

Routes::

    POST /hooks/distribution   bearer token   CNCF distribution notifications
    POST /hooks/harbor         bearer token   Harbor PUSH_ARTIFACT webhooks
    POST /hooks/generic        bearer token   {"image": ...} / {"images": [...]}
    POST /hooks/github         HMAC           GitHub registry_package events
    POST /hooks/dockerhub/<token>             Docker Hub webhooks (the secret is the path)
    GET  /healthz                             200 while serving, 503 while draining
    GET  /metrics                             Prometheus text format

Answers: 202 queued (or nothing to do), 400 malformed body (with the reason), 401 bad or
missing credential (nothing queued), 404 unknown route, 405 wrong method, 413 body over
1 MiB, 503 queue full or draining (with ``Retry-After``).
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable

from automator.errors import scrub
from automator.events.payloads import MAX_EVENT_BYTES, EventError, read_event
from automator.serve import auth
from automator.serve.metrics import ServeMetrics
from automator.serve.queue import Draining, QueueFull, RunQueue, TooManyImages

log = logging.getLogger("automator.serve")

StartResponse = Callable[..., object]

BEARER_SOURCES = ("distribution", "harbor", "generic")
SOURCES = (*BEARER_SOURCES, "github", "dockerhub")

_DELIVERIES_KEPT = 10_000
_DELIVERY_LOCK = threading.Lock()

_REASONS = {
    200: "OK",
    202: "Accepted",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Payload Too Large",
    503: "Service Unavailable",
}


class WebhookApp:
    def __init__(self, queue: RunQueue, secrets: auth.WebhookSecrets, metrics: ServeMetrics | None = None) -> None:
        self.queue = queue
        self.secrets = secrets
        self.metrics = metrics or ServeMetrics()
        self.draining = False
        self._deliveries: OrderedDict[str, None] = OrderedDict()  # GitHub delivery ids seen

    # --- WSGI -------------------------------------------------------------------------------

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        status, body, headers = self.handle(environ)
        content_type = headers.pop("Content-Type", "application/json")
        start_response(
            f"{status} {_REASONS[status]}",
            [("Content-Type", content_type), ("Content-Length", str(len(body))), *headers.items()],
        )
        return [body]

    def handle(self, environ: dict) -> tuple[int, bytes, dict[str, str]]:
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "") or "/"
        if path == "/healthz":
            return self._health(method)
        if path == "/metrics":
            if method != "GET":
                return _answer(405, "use GET", Allow="GET")
            return 200, self.metrics.render(), {"Content-Type": self.metrics.content_type}
        parts = path.strip("/").split("/")
        if len(parts) < 2 or parts[0] != "hooks" or parts[1] not in SOURCES:
            shown = "/" + "/".join(parts[:2]) + ("/..." if len(parts) > 2 else "")  # a mistyped token route: not its token
            return _answer(404, f"no route {scrub(shown)}; webhooks go to /hooks/<{'|'.join(SOURCES)}>")
        source = parts[1]
        if (source == "dockerhub" and len(parts) != 3) or (source != "dockerhub" and len(parts) != 2):
            return _answer(404, f"no route {scrub(path) if source != 'dockerhub' else '/hooks/dockerhub/***'}")
        if method != "POST":
            return _answer(405, "webhooks are POSTed", Allow="POST")
        return self._hook(source, parts[2] if source == "dockerhub" else None, environ)

    # --- the parts --------------------------------------------------------------------------

    def _health(self, method: str) -> tuple[int, bytes, dict[str, str]]:
        if method != "GET":
            return _answer(405, "use GET", Allow="GET")
        if self.draining:
            return _answer(503, "draining", **{"Retry-After": "5"})
        return 200, json.dumps({"status": "ok", "pending": self.queue.pending}).encode(), {}

    def _reject(self, source: str, reason: str, status: int, message: str, **headers: str):
        self.metrics.events_rejected.labels(source, reason).inc()
        log.warning("webhook %s refused (%s): %s", source, status, message)
        return _answer(status, message, **headers)

    def _hook(self, source: str, path_token: str | None, environ: dict) -> tuple[int, bytes, dict[str, str]]:
        if self.draining:
            return self._reject(source, "draining", 503, "shutting down; retry later", **{"Retry-After": "30"})
        body = _read_body(environ)
        if body is None:
            return self._reject(source, "too_large", 413, f"the body is larger than {MAX_EVENT_BYTES} bytes")
        if not self._authorised(source, path_token, environ, body):
            return self._reject(source, "unauthorised", 401, "missing or wrong credential for this webhook")
        try:
            images = read_event(body, source)
        except EventError as error:
            return self._reject(source, "malformed", 400, str(error))
        if not images:
            return _answer(202, "no tagged push in this event; nothing to do", queued=[])
        if self._replayed(environ.get("HTTP_X_GITHUB_DELIVERY")):
            return _answer(202, "this delivery was already received; nothing more to do", queued=[])
        delivery = environ.get("HTTP_X_GITHUB_DELIVERY")
        try:
            self.queue.submit(images)
        except TooManyImages:
            self._forget(delivery)
            return self._reject(source, "too_large", 413, f"the event names {len(images)} images, more than the queue holds "
                                f"({self.queue.capacity}); start serve with a larger --queue-size")
        except QueueFull:
            self._forget(delivery)  # not queued: the redelivery Retry-After asks for must be taken
            return self._reject(source, "queue_full", 503, "the queue is full; retry later", **{"Retry-After": "10"})
        except Draining:
            self._forget(delivery)
            return self._reject(source, "draining", 503, "shutting down; retry later", **{"Retry-After": "30"})
        self.metrics.events_received.labels(source).inc()
        log.info("webhook %s: queued %s", source, ", ".join(str(i) for i in images))
        return _answer(202, "queued", queued=[str(i) for i in images])

    def _replayed(self, delivery: str | None) -> bool:
        """A GitHub delivery id seen before (a redelivery or a replay) queues nothing again."""
        if not delivery:
            return False
        with _DELIVERY_LOCK:
            if delivery in self._deliveries:
                return True
            self._deliveries[delivery] = None
            while len(self._deliveries) > _DELIVERIES_KEPT:
                self._deliveries.popitem(last=False)
        return False

    def _forget(self, delivery: str | None) -> None:
        """A delivery refused before it was queued is not one seen: its redelivery is taken."""
        if delivery:
            with _DELIVERY_LOCK:
                self._deliveries.pop(delivery, None)

    def _authorised(self, source: str, path_token: str | None, environ: dict, body: bytes) -> bool:
        if source == "github":
            return auth.github_signature_ok(self.secrets, environ.get("HTTP_X_HUB_SIGNATURE_256"), body)
        if source == "dockerhub":
            return auth.dockerhub_token_ok(self.secrets, path_token)
        return auth.bearer_ok(self.secrets, environ.get("HTTP_AUTHORIZATION"))


def _read_body(environ: dict) -> bytes | None:
    """The request body, or None when it is (or declares to be) over the limit."""
    try:
        declared = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_EVENT_BYTES:
        return None
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    body = stream.read(min(declared, MAX_EVENT_BYTES + 1) if declared else MAX_EVENT_BYTES + 1)
    return None if len(body) > MAX_EVENT_BYTES else body


def _answer(status: int, message: str, queued: list[str] | None = None, **headers: str) -> tuple[int, bytes, dict[str, str]]:
    document: dict[str, object] = {"status": status, "message": message}
    if queued is not None:
        document["queued"] = queued
    return status, json.dumps(document).encode(), dict(headers)
