"""Which part of a run a stop signal must not cut: the push.

A looping run (``run --every``) that is asked to stop abandons an attempt that has not started
pushing (nothing is written yet, the next start does it again), but lets a push in flight
finish: a push cut halfway leaves the remote as it was or with the commit, and the run would
not know which. The writers mark their push with :func:`pushing`; the scheduler's signal
handler asks :func:`push_in_flight`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_pushes = 0


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


def push_in_flight() -> bool:
    with _lock:
        return _pushes > 0
