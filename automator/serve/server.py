"""Run the webhook application under waitress until a signal, then drain.

SIGTERM or SIGINT: ``/healthz`` turns 503 and hooks answer 503 (no new events), the listening
socket closes, the run in flight finishes its write step, what was accepted runs, exit 0.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable

from waitress import wasyncore
from waitress.server import create_server

from automator.events.payloads import MAX_EVENT_BYTES
from automator.serve.app import WebhookApp
from automator.values import value_type

log = logging.getLogger("automator.serve")


@value_type
class Listen:
    host: str
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def parse_listen(text: str) -> Listen:
    """``HOST:PORT`` (``[::1]:8080`` for IPv6); ValueError with the reason otherwise."""
    host, sep, port = text.strip().rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"--listen {text!r}: expected HOST:PORT, for example 127.0.0.1:8080 or 0.0.0.0:8080")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not host:
        raise ValueError(f"--listen {text!r}: name the address to listen on, for example 0.0.0.0:{port}")
    return Listen(host, int(port))


class Receiver:
    """The HTTP server, its application and its run queue, with a stop that drains."""

    def __init__(self, app: WebhookApp, listen: Listen, *, threads: int = 4) -> None:
        self.app = app
        # max_request_body_size: waitress answers 413 as soon as a body passes the limit (a
        # declared length at once), before it buffers it: the application's own check runs
        # only once the whole body has arrived, and waitress's default limit is 1 GiB; waitress
        # refuses a body of the limit or more, and a body of exactly MAX_EVENT_BYTES is allowed
        self.server = create_server(app, host=listen.host, port=listen.port, threads=threads, ident="automator",
                                    clear_untrusted_proxy_headers=True, max_request_body_size=MAX_EVENT_BYTES + 1)
        self._stopped = threading.Event()
        self._closing = threading.Event()
        self._signalled = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> Listen:
        host, port = self.server.socket.getsockname()[:2]
        return Listen(host, port)

    def start(self) -> None:
        self.app.queue.start()
        self._thread = threading.Thread(target=self._serve, name="automator-http", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        # the loop polls in short rounds so that stopping is the loop's own decision: the
        # sockets are closed by the thread that polls them
        while not self._closing.is_set():
            wasyncore.loop(timeout=0.2, map=self.server._map, use_poll=True, count=1)
        self.server.task_dispatcher.shutdown(timeout=5)
        wasyncore.close_all(self.server._map)

    def stop(self, timeout: float | None = None) -> bool:
        """Drain and stop; True when the queue finished within ``timeout``."""
        if self._stopped.is_set():
            return True
        self._stopped.set()
        self.app.draining = True
        drained = self.app.queue.drain(timeout)
        self._closing.set()  # the listening socket and open connections close next
        if self._thread is not None:
            self._thread.join(10)
        return drained

    def wait_for_signal(self, on_signal: Callable[[int], None] | None = None) -> int:
        """Block until SIGTERM/SIGINT, then drain; return the signal number."""
        received: list[int] = []

        def handler(number, _frame):
            received.append(number)
            self._signalled.set()

        previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            while not self._signalled.wait(0.5):
                pass
        finally:
            for sig, old in previous.items():
                signal.signal(sig, old)
        number = received[0]
        log.info("received %s: draining (no new events; the run in flight finishes)", signal.Signals(number).name)
        if on_signal is not None:
            on_signal(number)
        self.stop()
        return number
