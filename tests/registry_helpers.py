"""Small helpers shared by the registry tests (not fixtures: plain functions)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from automator.context import Context
from automator.registry import RegistryTagSource, RetryPolicy

FAST_RETRY = RetryPolicy(attempts=3, backoff=0.01, max_wait=5.0, connect_timeout=2.0, read_timeout=2.0, timeout=5.0)


def docker_config(directory: Path, auths: dict[str, dict]) -> Context:
    """A Context whose DOCKER_CONFIG holds ``auths`` (host -> {"username", "password"} or raw)."""
    directory.mkdir(parents=True, exist_ok=True)
    entries = {}
    for host, entry in auths.items():
        if "username" in entry:
            raw = f"{entry['username']}:{entry['password']}".encode()
            entries[host] = {"auth": base64.b64encode(raw).decode()}
        else:
            entries[host] = entry
    (directory / "config.json").write_text(json.dumps({"auths": entries}))
    return Context({"DOCKER_CONFIG": str(directory), "HOME": str(directory)})


def make_source(ctx: Context | None = None, **options) -> RegistryTagSource:
    options.setdefault("retry", FAST_RETRY)
    return RegistryTagSource.from_options(ctx or Context({"HOME": "/nonexistent"}), **options)


class ScriptedRegistry:
    """An HTTP server on 127.0.0.1 answering each GET with ``answer(handler) -> (status,
    headers, body)``: a registry that misbehaves as a test needs. ``seen`` records each
    request's path and Authorization; as a proxy (``HTTP_PROXY``) it stands for a registry of
    any name, ``handler.path`` then being the whole URL."""

    def __init__(self, answer) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.seen: list[tuple[str, str | None]] = []
        seen = self.seen

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - the http.server spelling
                seen.append((self.path, self.headers.get("Authorization")))
                status, headers, body = answer(self)
                self.send_response(status)
                for name, value in {**headers, "Content-Length": str(len(body))}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def __enter__(self) -> ScriptedRegistry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
