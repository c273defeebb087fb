"""The main thread waits for its workers in short steps, and the wait stays linear in the
number of futures (a registry listing can wait for thousands)."""

from __future__ import annotations

import threading
from concurrent.futures import Future
from itertools import islice

from automator.interrupts import WAKE_SECONDS, steps, wait_for


class CountingCondition:
    """A future's condition that counts how often anyone takes it."""

    def __init__(self, counter: list[int]) -> None:
        self._condition = threading.Condition()
        self._counter = counter

    def __enter__(self):
        self._counter[0] += 1
        return self._condition.__enter__()

    def __exit__(self, *exc):
        return self._condition.__exit__(*exc)

    def __getattr__(self, name):
        return getattr(self._condition, name)


def test_each_future_is_reported_once_in_the_order_it_finished_and_looked_at_a_bounded_number_of_times():
    count = 300
    taken = [0]
    futures = [Future() for _ in range(count)]
    for future in futures:
        future._condition = CountingCondition(taken)
    seen: list[Future] = []
    reported = threading.Event()

    def finish_one_at_a_time() -> None:  # the next one only once the last one was reported
        for future in reversed(futures):
            reported.clear()
            future.set_result(None)
            reported.wait(10)

    finisher = threading.Thread(target=finish_one_at_a_time)
    finisher.start()
    wait_for(futures, lambda future: (seen.append(future), reported.set()))
    finisher.join()
    assert seen == list(reversed(futures))
    # registering and finishing take each future's condition a few times; a pass over the
    # pending futures at every completion would take it about count * count / 2 times
    assert taken[0] <= 4 * count, taken[0]


def test_futures_already_done_and_no_futures_at_all_return_at_once():
    done = [Future() for _ in range(3)]
    for future in done:
        future.set_result(1)
    seen: list[Future] = []
    wait_for(done, seen.append)
    wait_for([])
    assert sorted(map(id, seen)) == sorted(map(id, done))  # each one once


def test_a_wait_is_taken_in_steps_no_longer_than_the_wake_interval():
    assert list(islice(steps(None), 3)) == [WAKE_SECONDS] * 3, "no deadline: steps until the wait ends"
    assert next(steps(60.0)) == WAKE_SECONDS
    assert 0 < next(steps(WAKE_SECONDS / 4)) <= WAKE_SECONDS / 4, "the last step ends at the deadline"
    assert list(steps(0.0)) == [], "no time left: no step"
