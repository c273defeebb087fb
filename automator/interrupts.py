"""Which part of a run a stop signal must not cut (the push), and how worker threads stop.

A looping run (``run --every``) that is asked to stop abandons an attempt that has not started
pushing (nothing is written yet, the next start does it again), but lets a push in flight
finish: a push cut halfway leaves the remote as it was or with the commit, and the run would
not know which. The writers mark their push with :func:`pushing`; the scheduler's signal
handler asks :func:`push_in_flight`.

SIGINT and SIGTERM are handled in the main thread only, and only once it runs Python code
again: the kernel may deliver the signal to another thread, and a main thread blocked in a
lock without a deadline would never wake up. It waits for its workers with
:func:`wait_for`, which wakes up a few times a second. Runs in worker threads (the
repositories of a fleet) learn of a stop through :func:`stop_workers`: each raises
:class:`Interrupted` at its next :func:`stop_point` (before any network git process, before
a path, and in every wait for another process's listing), and unwinds as the main thread
does on a signal: its checkout restored, its clone removed. A worker that does not reach a
stop point in time (a forge request waiting out its timeout) is left behind by the exiting
process, and the stop stays in force so that it cannot carry on when its request returns.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

TYPE_CHECKING = False
if TYPE_CHECKING:
    from concurrent.futures import Future

WAKE_SECONDS = 0.2  # how often a waiting main thread looks for a signal delivered elsewhere

_lock = threading.Lock()
_pushes = 0
_stop = threading.Event()


class Interrupted(KeyboardInterrupt):
    """Raised in a worker thread at its next stop point once the run was asked to stop."""


@contextmanager
def pushing() -> Iterator[None]:
    """Mark a push (with its fetch-rebase retries) as in flight while the block runs."""
    global _pushes
    with _lock:
        _pushes += 1
    try:
        yield
    finally:
        with _lock:
            _pushes -= 1


@contextmanager
def signals_waiting(*, deliver: bool = True) -> Iterator[None]:
    """SIGINT and SIGTERM wait while the block runs (an undo that must finish). A signal that
    came meanwhile is delivered once the block is done (``deliver``), to the handler that was
    in place: a loop told to stop while it undid a failed attempt still stops. Code already
    unwinding an interrupt passes ``deliver=False``: its exit is 130 anyway. In a thread
    other than the main one there is nothing to hold."""
    signums = (signal.SIGINT, signal.SIGTERM)
    received: list[int] = []
    try:
        previous = [signal.signal(signum, lambda signum, _: received.append(signum)) for signum in signums]
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        for signum, handler in zip(signums, previous, strict=True):
            signal.signal(signum, handler)
        if deliver:
            for signum in dict.fromkeys(received):  # each once, in the order they came
                signal.raise_signal(signum)


def push_in_flight() -> bool:
    with _lock:
        return _pushes > 0


def stop_point() -> None:
    """Raise :class:`Interrupted` when the run was asked to stop (a no-op otherwise)."""
    if _stop.is_set():
        raise Interrupted


def stop_workers() -> None:
    """Make every worker thread raise :class:`Interrupted` at its next stop point, until
    :func:`resume_workers`."""
    _stop.set()


def resume_workers() -> None:
    """Let runs of this process start again (every stopped worker has unwound)."""
    _stop.clear()


def steps(timeout: float | None) -> Iterator[float]:
    """The timeouts of a wait of ``timeout`` seconds in all (None: until it ends) taken in
    steps of at most :data:`WAKE_SECONDS`; the iteration ends when the time is up. Between
    steps the waiting main thread runs Python code, so a signal is handled at once."""
    ends = None if timeout is None else time.monotonic() + timeout
    while True:
        left = WAKE_SECONDS if ends is None else min(WAKE_SECONDS, ends - time.monotonic())
        if left <= 0:
            return
        yield left


def wait_for(futures: Iterable[Future], done: Callable[[Future], None] | None = None) -> None:
    """Wait until every future is done, ``done(future)`` as each one is, waking up every
    :data:`WAKE_SECONDS` so that a signal is handled at once (``KeyboardInterrupt`` raised).

    Each future reports itself once through a queue (as ``as_completed`` does with its one
    waiter), so waiting for n futures costs O(n), not a pass over the pending ones per wake."""
    from queue import Empty, SimpleQueue

    finished: SimpleQueue[Future] = SimpleQueue()
    count = 0
    for future in futures:
        future.add_done_callback(finished.put)
        count += 1
    while count:
        try:
            future = finished.get(timeout=WAKE_SECONDS)
        except Empty:
            continue
        count -= 1
        if done is not None:
            done(future)
