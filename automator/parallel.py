"""Spread independent per-file work over the CPU cores (order kept, serial when small).

Workers are forked, so they share the parent's loaded modules and tables at no cost; forking is
used only while the process has a single thread (forking a threaded process can deadlock),
and anything that prevents a pool falls back to serial work, never to an error.

A stop signal (SIGINT, SIGTERM; Ctrl-C reaches the whole process group) is the parent's alone:
it holds them while the pool forks its workers and starts its threads (a signal raised inside
a fork callback would be lost, and a thread started meanwhile never takes one), the workers
ignore them (interrupted inside the pool's own queues, they would print tracebacks or leave the
others waiting on a lock forever), and on a stop the parent cancels the batches not started,
waits for the few under way and raises ``KeyboardInterrupt``, so that its caller undoes them.
"""

from __future__ import annotations

import gc
import os
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

from automator.interrupts import WAKE_SECONDS, signals_waiting

T = TypeVar("T")
R = TypeVar("R")

MAX_WORKERS = 4
YOUNG_THRESHOLD = 100_000  # allocations between collections of the young generation in per-file work
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def workers() -> int:
    try:
        return max(1, min(len(os.sched_getaffinity(0)), MAX_WORKERS))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, min(os.cpu_count() or 1, MAX_WORKERS))


def parallel_map(func: Callable[[T], R], items: Sequence[T], *, min_items: int = 400, chunksize: int = 32) -> Iterator[R]:
    """``map(func, items)``, in forked worker processes when there is enough work."""
    count = workers()
    if count < 2 or len(items) < min_items or threading.active_count() != 1:
        yield from map(func, items)  # a small tree never loads multiprocessing
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    if "fork" not in multiprocessing.get_all_start_methods():  # pragma: no cover - not POSIX
        yield from map(func, items)
        return
    try:
        pool = ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("fork"), initializer=_worker_start)
    except (OSError, ValueError):  # pragma: no cover - no semaphores or similar
        yield from map(func, items)
        return
    gc.freeze()  # the workers' collections then leave the inherited heap alone: no copy of it
    try:
        try:
            with _stop_signals_held():  # the workers and the pool's threads start here
                batches = [pool.submit(_run_batch, func, items[at:at + chunksize]) for at in range(0, len(items), chunksize)]
            for batch in batches:
                yield from _result(batch)
            pool.shutdown(wait=True)
        except BaseException as error:  # a stop (or the caller gave up): nothing more starts
            # a signal waits until no worker writes behind us (then reaches its handler, unless
            # this is the unwinding of an interrupt already)
            with signals_waiting(deliver=not isinstance(error, KeyboardInterrupt)):
                pool.shutdown(wait=True, cancel_futures=True)
            raise
    finally:
        gc.unfreeze()


@contextmanager
def _stop_signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM wait (blocked) while the block runs, and are delivered after it: as a
    ``KeyboardInterrupt`` raised in ordinary code, and to the main thread, not to a thread
    started meanwhile (it keeps them blocked). The processes forked meanwhile inherit the
    block; :func:`_worker_start` lifts it."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _worker_start() -> None:
    """A worker ignores stop signals (those sent to its group while it started are dropped):
    the parent stops the pool."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)


def _run_batch(func: Callable[[T], R], batch: Sequence[T]) -> list[R]:
    return [func(item) for item in batch]


def _result(batch) -> list:
    """A batch's results, waking every :data:`WAKE_SECONDS` so that a signal is handled at once."""
    from concurrent.futures import TimeoutError as NotYet

    while True:
        try:
            return batch.result(timeout=WAKE_SECONDS)
        except NotYet:
            continue


_collections_lock = threading.Lock()
_collections_held = [0, (0, 0, 0)]  # passes under way, the thresholds before the first of them


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Per-file work allocates many short-lived objects (each parsed document's nodes) that
    reference counting frees; the cyclic collector would still run every 700 allocations
    and walk the whole heap now and then, about a tenth of a large run. Its young generation
    waits for :data:`YOUNG_THRESHOLD` allocations while this lasts (cycles are still collected).
    Passes on several threads share it: the last one to finish restores the thresholds."""
    with _collections_lock:
        if _collections_held[0] == 0:
            old = gc.get_threshold()
            _collections_held[1] = old
            gc.set_threshold(max(old[0], YOUNG_THRESHOLD), *old[1:])
        _collections_held[0] += 1
    try:
        yield
    finally:
        with _collections_lock:
            _collections_held[0] -= 1
            if _collections_held[0] == 0:
                gc.set_threshold(*_collections_held[1])
