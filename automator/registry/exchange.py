"""One HTTP exchange under a total deadline: connect, headers and the whole body.

The timeouts of ``requests`` apply to each socket read, so an answer trickled one byte at a
time is never cut off. Here the adapter's connections report every socket they use to the
exchange running on their thread, and a watchdog thread shuts those sockets down when the
exchange's deadline passes: the blocked read returns at once and the exchange fails with a
message naming the deadline. :meth:`Watchdog.cancel` (SIGINT/SIGTERM) does the same to every
exchange in flight, so nothing waits for a silent server.

Bodies are read as a stream against a size limit (:func:`read_body`): an endless answer is
abandoned at the limit, not read into memory first.
"""

from __future__ import annotations

import heapq
import itertools
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

CHUNK = 64 * 1024


class Exchange:
    """The sockets one request uses and the moment they are cut off."""

    def __init__(self, deadline: float, clock=time.monotonic) -> None:
        self.deadline = deadline
        self.expired = False
        self.finished = False
        self._clock = clock
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def remaining(self) -> float:
        return max(0.0, self.deadline - self._clock())

    def attach(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            self._sockets.append(sock)
            expired = self.expired
        if expired:
            _shutdown(sock)

    def expire(self) -> None:
        with self._lock:
            if self.finished:
                return
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shutdown(sock)

    def finish(self) -> None:
        with self._lock:
            self.finished = True


def _shutdown(sock: socket.socket) -> None:
    """Wake any thread blocked reading ``sock`` (the plain socket call, also for TLS sockets)."""
    try:
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass


class Watchdog:
    """Expires exchanges at their deadlines; one daemon thread, started on first use."""

    def __init__(self, clock=time.monotonic) -> None:
        self._clock = clock
        self._heap: list[tuple[float, int, Exchange]] = []
        self._order = itertools.count()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False
        self.cancelled = threading.Event()

    @contextmanager
    def watch(self, exchange: Exchange) -> Iterator[Exchange]:
        """Run the block as ``exchange``: sockets opened or reused in it are cut at its deadline."""
        if self.cancelled.is_set():
            exchange.expire()
        with self._cond:
            heapq.heappush(self._heap, (exchange.deadline, next(self._order), exchange))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="registry-watchdog", daemon=True)
                self._thread.start()
            self._cond.notify()
        stack = _current_stack()
        stack.append(exchange)
        try:
            yield exchange
        finally:
            stack.pop()
            exchange.finish()

    def cancel(self) -> None:
        """Cut every exchange in flight now, and every later one at its start."""
        self.cancelled.set()
        with self._cond:
            live = [entry[2] for entry in self._heap]
            self._heap.clear()
        for exchange in live:
            exchange.expire()

    def close(self) -> None:
        """End the thread (a run's source is closed): a loop or receiver runs the tool again
        and again in one process, and each run's thread would stay."""
        with self._cond:
            self._closed = True
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._heap and not self._closed:
                    self._cond.wait()
                if self._closed:
                    self._thread = None
                    return
                deadline, _, exchange = self._heap[0]
                wait = deadline - self._clock()
                if exchange.finished:
                    heapq.heappop(self._heap)
                    continue
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                heapq.heappop(self._heap)
            exchange.expire()


_local = threading.local()


def _current_stack() -> list[Exchange]:
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    return stack


def _report(sock: socket.socket | None) -> None:
    stack = _current_stack()
    if stack:
        stack[-1].attach(sock)


class _Watched:
    """Connection mix-in: report the socket to the exchange running on this thread."""

    sock: socket.socket | None

    def _new_conn(self) -> socket.socket:
        """The plain socket, reported as soon as it exists: ``connect`` goes on with a proxy's
        CONNECT tunnel and the TLS handshake, which the deadline must cover too."""
        sock = super()._new_conn()  # type: ignore[misc]
        _report(sock)
        return sock

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        _report(self.sock)  # the TLS socket, when it wrapped the plain one

    def request(self, *args, **kwargs) -> None:
        if self.sock is not None:  # a kept-alive connection, reused
            _report(self.sock)
        super().request(*args, **kwargs)  # type: ignore[misc]


class _HTTPConnection(_Watched, HTTPConnection):
    pass


class _HTTPSConnection(_Watched, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


_POOLS = {"http": _HTTPPool, "https": _HTTPSPool}


class WatchedAdapter(HTTPAdapter):
    """An :class:`HTTPAdapter` whose connections (direct or through a proxy) are watched."""

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_POOLS)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs):
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = dict(_POOLS)
        return manager


# --- bodies -----------------------------------------------------------------------------------


class BodyError(Exception):
    """The body could not be read whole; ``kind`` is ``too-large``, ``cut-off`` or ``deadline``."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def describe_size(limit: int) -> str:
    if limit >= 1024 * 1024 and limit % (1024 * 1024) == 0:
        return f"{limit // (1024 * 1024)} MiB"
    if limit >= 1024 and limit % 1024 == 0:
        return f"{limit // 1024} KiB"
    return f"{limit} bytes"


def _partial(error: BaseException) -> int:
    """Bytes a failed read had received before it failed (``IncompleteRead.partial``)."""
    seen: set[int] = set()
    todo: list[object] = [error]
    while todo:
        item = todo.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        partial = getattr(item, "partial", None)
        if isinstance(partial, int):
            return partial
        if isinstance(partial, bytes):
            return len(partial)
        todo.extend([*item.args, item.__cause__, item.__context__])
    return 0


def read_body(response: requests.Response, limit: int, exchange: Exchange) -> bytes:
    """The whole (decoded) body, read chunk by chunk and abandoned past ``limit`` bytes."""
    declared = response.headers.get("Content-Length", "")
    declared_size = int(declared) if declared.isascii() and declared.isdigit() else None
    if declared_size is not None and declared_size > limit and "Content-Encoding" not in response.headers:
        raise BodyError("too-large", f"answer too large: {declared_size} bytes announced, "
                                     f"more than the {describe_size(limit)} limit")
    chunks: list[bytes] = []
    size = 0
    try:
        while True:
            chunk = response.raw.read(CHUNK, decode_content=True)
            if not chunk:
                break
            size += len(chunk)
            if size > limit:
                raise BodyError("too-large", f"answer too large: more than the {describe_size(limit)} limit; "
                                             "stopped reading it")
            chunks.append(chunk)
            if exchange.expired:
                break
    except (urllib3.exceptions.HTTPError, OSError, requests.RequestException) as error:
        if exchange.expired:
            raise BodyError("deadline", "deadline") from None
        size += _partial(error)
        if declared_size is not None and size < declared_size:
            raise BodyError("cut-off", f"the answer was cut off: the connection closed after {size} of "
                                       f"{declared_size} bytes (Content-Length)") from None
        raise BodyError("cut-off", f"the answer was cut off after {size} bytes ({type(error).__name__})") from None
    if exchange.expired:
        raise BodyError("deadline", "deadline")
    return b"".join(chunks)
