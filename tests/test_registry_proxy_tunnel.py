"""The exchange deadline also covers the tunnel an HTTPS proxy opens (CONNECT), not only the
registry's answer: a proxy that drips its answer to CONNECT is cut off at the deadline."""

from __future__ import annotations

import socket
import threading

import pytest

from automator.errors import RegistryError
from automator.registry.transport import RetryPolicy, Transport

DEADLINE = 1.0
HANG_GUARD = 30.0  # not a timing assertion: only keeps a regression from hanging the suite


class DrippingProxy:
    """Accepts CONNECT and answers it one byte per 0.1 s, with header lines that never end."""

    def __init__(self) -> None:
        self._stopped = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn: socket.socket) -> None:
        with conn:
            try:
                conn.recv(65536)
                answer = b"HTTP/1.1 200 Connection established\r\n"
                while not self._stopped.is_set():
                    for byte in answer:
                        conn.sendall(bytes([byte]))
                        if self._stopped.wait(0.1):
                            return
                    answer = b"X-Slow: yes\r\n"
            except OSError:
                pass

    def stop(self) -> None:
        self._stopped.set()
        self._listener.close()


@pytest.fixture
def dripping_proxy():
    proxy = DrippingProxy()
    yield proxy
    proxy.stop()


def test_a_proxy_dripping_its_connect_answer_is_cut_at_the_exchange_deadline(dripping_proxy):
    """Before the tunnel is up the socket already belongs to the exchange: the watchdog shuts it
    down at the deadline, and the request fails saying so instead of waiting for the proxy."""
    retry = RetryPolicy(attempts=1, timeout=DEADLINE, connect_timeout=DEADLINE, read_timeout=DEADLINE)
    transport = Transport(proxies={"https": dripping_proxy.url}, retry=retry)
    outcome: list[BaseException | object] = []

    def request() -> None:
        try:
            outcome.append(transport.send("GET", "https://registry.example.com/v2/", what="registry.example.com"))
        except BaseException as error:  # noqa: BLE001 - handed to the test thread
            outcome.append(error)

    worker = threading.Thread(target=request, daemon=True)
    worker.start()
    worker.join(HANG_GUARD)
    assert not worker.is_alive(), "the request outlived its deadline while the proxy dripped"
    (error,) = outcome
    assert isinstance(error, RegistryError)
    assert f"within the {DEADLINE:g} s deadline" in str(error)
