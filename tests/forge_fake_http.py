"""A strict JSON HTTP server on 127.0.0.1 for the forge fakes.

Routes are ``(METHOD, regex)`` -> handler; a request that matches no route is answered 404
*and* recorded in ``unexpected`` so that the test fails. Every request is recorded
(``requests``) so that tests can assert which API writes happened. ``inject`` makes the next
matching request(s) fail with a given status, body and headers (rate limits); ``gate`` holds the
first N matching requests until all N have arrived (to force two runs into the same race).
An injected :class:`Page` body is sent as an HTML page instead of JSON (a sign-in page in front
of the API, or a web front end at the wrong URL).
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

WRITES = {"POST", "PUT", "PATCH", "DELETE"}


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    body: object
    headers: dict[str, str]

    @property
    def is_write(self) -> bool:
        return self.method in WRITES


@dataclass
class Page:
    """An answer that is not JSON: an HTML page."""

    html: str


class Reply(Exception):
    """Raised by handlers to answer with an error status."""

    def __init__(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers or {}


@dataclass
class _Injection:
    method: str
    pattern: re.Pattern
    status: int
    body: object
    headers: dict[str, str]
    times: int


@dataclass
class _Gate:
    method: str
    pattern: re.Pattern
    barrier: threading.Barrier
    remaining: int


@dataclass
class FakeServer:
    routes: list = field(default_factory=list)
    requests: list[Recorded] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.lock = threading.RLock()
        self._injections: list[_Injection] = []
        self._gates: list[_Gate] = []
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def route(self, method: str, pattern: str, handler) -> None:
        self.routes.append((method, re.compile(pattern + r"\Z"), handler))

    def inject(self, method: str, pattern: str, status: int, body: object, headers: dict[str, str] | None = None, times: int = 1) -> None:
        with self.lock:
            self._injections.append(_Injection(method, re.compile(pattern + r"\Z"), status, body, headers or {}, times))

    def gate(self, method: str, pattern: str, parties: int) -> None:
        self._gates.append(_Gate(method, re.compile(pattern + r"\Z"), threading.Barrier(parties, timeout=20), parties))

    def writes(self) -> list[Recorded]:
        return [r for r in self.requests if r.is_write]

    def _take_injection(self, method: str, path: str) -> _Injection | None:
        with self.lock:
            for injection in self._injections:
                if injection.method == method and injection.pattern.match(path) and injection.times > 0:
                    injection.times -= 1
                    return injection
        return None

    def _wait_at_gate(self, method: str, path: str) -> None:
        for gate in self._gates:
            with self.lock:
                hit = gate.method == method and gate.pattern.match(path) and gate.remaining > 0
                if hit:
                    gate.remaining -= 1
            if hit:
                gate.barrier.wait()

    def dispatch(self, method: str, raw_path: str, headers: dict[str, str], raw_body: bytes) -> tuple[int, object, dict[str, str]]:
        parts = urlsplit(raw_path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        body = json.loads(raw_body) if raw_body else None
        record = Recorded(method, parts.path, query, body, headers)
        with self.lock:
            self.requests.append(record)
        self._wait_at_gate(method, parts.path)
        injection = self._take_injection(method, parts.path)
        if injection:
            return injection.status, injection.body, injection.headers
        for route_method, pattern, handler in self.routes:
            match = pattern.match(parts.path)
            if route_method == method and match:
                try:
                    with self.lock:
                        status, reply = handler(record, **match.groupdict())
                    return status, reply, {}
                except Reply as error:
                    return error.status, error.body, error.headers
        with self.lock:
            self.unexpected.append(f"{method} {raw_path}")
        return 404, {"message": "Not Found (unexpected request in test)"}, {}

    def _handler_class(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    status, body, extra = server.dispatch(self.command, self.path, headers, raw)
                except Exception as error:  # a bug in the fake itself must fail the test too
                    with server.lock:
                        server.unexpected.append(f"fake crashed on {self.command} {self.path}: {error!r}")
                    status, body, extra = 500, {"message": repr(error)}, {}
                page = isinstance(body, Page)
                data = body.html.encode() if page else b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8" if page else "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for key, value in extra.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

            def log_message(self, *args: object) -> None:
                pass

        return Handler
