"""Bounded retry with full-jitter exponential backoff (the clock and the dice are injectable)."""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable

from automator.errors import UsageError
from automator.values import value_type


@value_type
class RetryPolicy:
    """Stop after ``max_attempts`` pushes or ``max_seconds``, whichever comes first."""

    max_attempts: int = 30
    max_seconds: float = 120.0
    base_delay: float = 0.05
    max_delay: float = 2.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.max_seconds) and self.max_seconds > 0):
            raise UsageError(f"the retry timeout must be a finite number of seconds above 0, not {self.max_seconds}")
        if self.max_attempts < 1:
            raise UsageError(f"the number of attempts must be at least 1, not {self.max_attempts}")

    def delay(self, retry: int, slot: float = 0.0, rand: Callable[[], float] = random.random) -> float:
        """Sleep before retry number ``retry`` (1-based): uniform in [0, min(cap, slot*2^retry)).

        ``slot`` is how long one fetch-rebase-push round took (at least ``base_delay``): as in
        Ethernet's binary exponential backoff, waiting in units of the contended operation
        spreads N writers over about N rounds whatever the speed of the machine.
        """
        ceiling = min(self.max_delay, max(slot, self.base_delay) * (2 ** min(retry, 30)))
        return ceiling * rand()


class Deadline:
    """Counts attempts against a :class:`RetryPolicy`."""

    def __init__(self, policy: RetryPolicy, clock: Callable[[], float] = time.monotonic) -> None:
        self.policy = policy
        self.clock = clock
        self.started = clock()
        self.attempts = 0

    def next_attempt(self) -> bool:
        """Count one more attempt; False when the budget is spent."""
        if self.attempts >= self.policy.max_attempts:
            return False
        if self.attempts and self.clock() - self.started >= self.policy.max_seconds:
            return False
        self.attempts += 1
        return True

    def remaining(self) -> float:
        """Seconds left of the budget (at least a moment: an operation already begun may finish
        its exchange)."""
        return max(self.policy.max_seconds - (self.clock() - self.started), 0.5)

    def pause(self, slot: float = 0.0, sleep: Callable[[float], None] = time.sleep) -> float:
        """Sleep before the next attempt; return how long."""
        remaining = self.policy.max_seconds - (self.clock() - self.started)
        seconds = max(0.0, min(self.policy.delay(self.attempts, slot), remaining))
        sleep(seconds)
        return seconds
