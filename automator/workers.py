"""Worker threads that never hold up an exit: a bounded pool of daemon threads.

The registry has one pool per host; a fleet runs its repositories in one. A stopped run exits
without joining a thread stuck in a request that has no way to be cut short (a forge call
waiting out its timeout): the thread dies with the process.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future

from automator.interrupts import wait_for


class Workers:
    """A bounded pool of daemon threads: unlike ``ThreadPoolExecutor`` (joined at interpreter
    exit), an interrupted run exits without waiting for them."""

    def __init__(self, size: int, name: str) -> None:
        self._size = size
        self._name = name
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def submit(self, fn: Callable, *args) -> Future:
        future: Future = Future()
        self._queue.put((future, fn, args))
        with self._lock:
            if len(self._threads) < self._size:
                thread = threading.Thread(target=self._work, name=f"{self._name}-{len(self._threads)}", daemon=True)
                self._threads.append(thread)
                thread.start()
        return future

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            future, fn, args = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn(*args))
            except BaseException as error:  # handed to whoever waits for the future
                future.set_exception(error)

    def shutdown(self) -> None:
        """Let the threads end once the queue is empty (not waited for)."""
        with self._lock:
            for _ in self._threads:
                self._queue.put(None)
            self._threads.clear()


def results(futures: Mapping[str, Future], done: Callable[[Future], None] | None = None) -> dict[str, object]:
    """Each future's result, in the order given; ``done(future)`` as each one completes.
    A signal interrupts the wait at once (:func:`automator.interrupts.wait_for`)."""
    wait_for(futures.values(), done)
    return {key: future.result() for key, future in futures.items()}
