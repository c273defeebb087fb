"""Coalesce push events into runs, one run at a time.

Events that arrive within ``debounce`` seconds of the first event of a batch become one run
(a burst of pushes from one build is one commit). Runs are serialised: one writer at a time
for the checkout. A periodic poll (``--every``) goes through the same queue, so it never
races an event-driven run. Once due, a poll runs before the next event batch, so a steady
stream of events cannot put it off for ever; the events waiting still run right after it (a
full run lists tags through the cache, which may predate a push the event carried) and a poll
never runs twice in a row while events wait. Draining stops accepting, lets the run in flight
finish its write step, then runs what was already accepted (without waiting out the debounce)
and stops: an event answered with 202 is never dropped.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from automator.errors import scrub
from automator.events.pushed import PushedImage, distinct
from automator.interrupts import steps
from automator.values import value_type

log = logging.getLogger("automator.serve")


@value_type
class RunReport:
    """What one run did, as far as the receiver counts it."""

    exit_code: int
    updates: int = 0


# pushed images for an event-driven run; None for a full (polling) run
Runner = Callable[[tuple[PushedImage, ...] | None], RunReport]


class QueueFull(Exception):
    """The queue holds as many pushed images as it may: ask the sender to retry later."""


class TooManyImages(Exception):
    """One event names more images than the queue may ever hold: retrying cannot help."""


class Draining(Exception):
    """The receiver is shutting down and accepts nothing new."""


class RunQueue:
    def __init__(
        self,
        runner: Runner,
        *,
        debounce: float = 2.0,
        capacity: int = 1000,
        on_run: Callable[[str, RunReport, float], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.runner = runner
        self.debounce = debounce
        self.capacity = capacity
        self.on_run = on_run
        self.clock = clock
        self._cond = threading.Condition()
        self._pending: list[PushedImage] = []
        self._poll_wanted = False
        self._batch_started: float | None = None
        self._draining = False
        self._running = False
        self._last: str | None = None  # the trigger of the last run taken
        self._thread = threading.Thread(target=self._work, name="automator-runs", daemon=True)

    # --- the receiving side ---------------------------------------------------------------

    def submit(self, images: tuple[PushedImage, ...]) -> None:
        """Queue pushed images for the next run; raise :class:`QueueFull`, :class:`TooManyImages`
        or :class:`Draining`."""
        with self._cond:
            if self._draining:
                raise Draining()
            if len(distinct(images)) > self.capacity:
                raise TooManyImages()
            merged = distinct((*self._pending, *images))
            if len(merged) > self.capacity:
                raise QueueFull()
            if not self._pending:
                self._batch_started = self.clock()
            self._pending = list(merged)
            self._cond.notify_all()

    def poll(self) -> None:
        """Ask for one full run (the polling safety net); coalesces with a pending one."""
        with self._cond:
            if not self._draining:
                self._poll_wanted = True
                self._cond.notify_all()

    @property
    def pending(self) -> int:
        with self._cond:
            return len(self._pending)

    @property
    def busy(self) -> bool:
        with self._cond:
            return self._running or bool(self._pending) or self._poll_wanted

    # --- the running side -----------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def drain(self, timeout: float | None = None) -> bool:
        """Stop accepting, finish the run in flight and what was accepted; True when done.

        The wait wakes up often (:func:`automator.interrupts.steps`): a second signal that
        the kernel hands to another thread (it abandons the drain) is handled at once."""
        with self._cond:
            self._draining = True
            self._cond.notify_all()
        for step in steps(timeout):
            if not self._thread.is_alive():
                break
            self._thread.join(step)
        return not self._thread.is_alive()

    def _next(self) -> tuple[str, tuple[PushedImage, ...] | None] | None:
        """The next run: a due poll before the next event batch (even one still gathering),
        unless the run that just ended was a poll; events wait out the debounce."""
        with self._cond:
            while True:
                if self._poll_wanted and not self._draining and (not self._pending or self._last != "poll"):
                    if self._pending:
                        log.info("full run first; %d pushed images wait for the run after it", len(self._pending))
                    return self._take("poll", None)
                if self._pending:
                    # let a burst gather: until `debounce` after the batch's first event
                    left = (self._batch_started or 0) + self.debounce - self.clock()
                    if left <= 0 or self._draining:
                        batch = tuple(self._pending)
                        self._pending = []
                        return self._take("event", batch)
                    self._cond.wait(left)
                elif self._draining:
                    return None  # draining and nothing accepted is left
                else:
                    self._cond.wait()

    def _take(self, trigger: str, batch: tuple[PushedImage, ...] | None) -> tuple[str, tuple[PushedImage, ...] | None]:
        if trigger == "poll":
            self._poll_wanted = False
        self._last = trigger
        self._running = True
        return trigger, batch

    def _work(self) -> None:
        while True:
            item = self._next()
            if item is None:
                return
            trigger, batch = item
            started = self.clock()
            try:
                report = self.runner(batch)
            except Exception as error:  # a run must never kill the receiver
                log.error("run failed: %s", scrub(f"{type(error).__name__}: {error}"))
                report = RunReport(exit_code=70)
            finally:
                with self._cond:
                    self._running = False
                    self._cond.notify_all()
            if self.on_run is not None:
                self.on_run(trigger, report, self.clock() - started)
