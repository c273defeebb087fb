"""Spread independent per-file work over the CPU cores (order kept, serial when small).

Workers are forked, so they share the parent's loaded modules and tables at no cost; forking is
used only while the process has a single thread (forking a threaded process can deadlock),
and anything that prevents a pool falls back to serial work, never to an error.
"""

from __future__ import annotations

import gc
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

MAX_WORKERS = 4
YOUNG_THRESHOLD = 100_000  # allocations between collections of the young generation in per-file work


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
        pool = ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("fork"))
    except (OSError, ValueError):  # pragma: no cover - no semaphores or similar
        yield from map(func, items)
        return
    gc.freeze()  # the workers' collections then leave the inherited heap alone: no copy of it
    try:
        with pool:
            yield from pool.map(func, items, chunksize=chunksize)
    finally:
        gc.unfreeze()


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
