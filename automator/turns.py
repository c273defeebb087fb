"""Turns at the interpreter for runs side by side in threads (a fleet's repositories).

The interpreter runs one thread's Python code at a time. When many threads are ready at once
it hands that lock from one to the next every few milliseconds, and every waiting thread wakes
to ask for it: with ten repositories in flight, a fleet worker spent about 40% more CPU than
with two, in lock handoffs and moves between cores. A turn is the same rule made explicit and
coarse: a repository's run holds its turn while it runs Python code and gives it back while it
waits (for a git process, the network, a sleep, another run's registry listing), so the runs
that wait sleep instead of competing.

    turns = Turns(1)
    with turns.turn():          # in each worker thread, around one repository's run
        ...
        with waiting():         # around any blocking wait, anywhere below
            subprocess.run(...)

:func:`waiting` does nothing in a thread that holds no turn (every command but ``fleet``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

_held = threading.local()  # .turns: the Turns whose turn this thread holds, if any


class Turns:
    def __init__(self, count: int = 1) -> None:
        self._slots = threading.Semaphore(max(1, count))

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Hold a turn for the duration (waiting for one first)."""
        self._slots.acquire()
        _held.turns = self
        try:
            yield
        finally:
            _held.turns = None
            self._slots.release()


@contextmanager
def waiting() -> Iterator[None]:
    """Around a blocking wait: a thread that holds a turn gives it back until the wait is over."""
    turns = getattr(_held, "turns", None)
    if turns is None:
        yield
        return
    _held.turns = None
    turns._slots.release()
    try:
        yield
    finally:
        turns._slots.acquire()
        _held.turns = turns


def holds_turn() -> bool:
    """Whether this thread holds a turn now (for tests and assertions)."""
    return getattr(_held, "turns", None) is not None
