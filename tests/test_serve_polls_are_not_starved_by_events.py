"""``automator serve --every``: a steady stream of push events (a busy registry notifies every
push, of unrelated repositories too) never puts the polling full run off. Once a poll is due
it runs before the next event batch; the events that waited run right after it, and a poll
never runs twice in a row while events wait."""

from __future__ import annotations

import threading

import requests

from automator.events.pushed import parse_pushed
from automator.serve.app import WebhookApp
from automator.serve.auth import WebhookSecrets
from automator.serve.metrics import ServeMetrics
from automator.serve.queue import RunQueue, RunReport
from automator.serve.server import Listen, Receiver

TOKEN = "bearer-token-for-tests"


def pushed(*refs: str):
    return tuple(parse_pushed(ref) for ref in refs)


class SteppedRunner:
    """Stands in for the run pipeline: each run records what it was for, then waits until the
    test lets it end, so the test decides what arrives while it runs."""

    def __init__(self) -> None:
        self.runs: list[str] = []  # "poll", or the pushed images of an event run
        self.started = threading.Semaphore(0)
        self.finish = threading.Semaphore(0)

    def __call__(self, batch):
        self.runs.append("poll" if batch is None else " ".join(sorted(str(i) for i in batch)))
        self.started.release()
        assert self.finish.acquire(timeout=30), "the test never let the run end"
        return RunReport(exit_code=0)

    def next_run(self) -> str:
        """Wait for the next run to start; what it is for."""
        assert self.started.acquire(timeout=10), f"no run started after {self.runs}"
        return self.runs[-1]


def test_a_due_poll_runs_before_the_events_that_keep_arriving_and_they_run_after_it():
    runner = SteppedRunner()
    queue = RunQueue(runner, debounce=0.0)
    queue.start()
    try:
        queue.submit(pushed("ghcr.io/acme/a:1.0.0"))
        assert runner.next_run() == "ghcr.io/acme/a:1.0.0"
        # during every run another event arrives: there is always an event batch waiting
        queue.submit(pushed("ghcr.io/acme/b:1.0.0"))
        queue.poll()  # the interval has passed
        runner.finish.release()
        assert runner.next_run() == "poll"  # not the waiting event: the poll is due
        queue.submit(pushed("ghcr.io/acme/c:1.0.0"))
        runner.finish.release()
        assert runner.next_run() == "ghcr.io/acme/b:1.0.0 ghcr.io/acme/c:1.0.0"  # nothing was dropped
        queue.submit(pushed("ghcr.io/acme/d:1.0.0"))
        queue.poll()  # the next interval
        runner.finish.release()
        assert runner.next_run() == "poll"
        runner.finish.release()
        assert runner.next_run() == "ghcr.io/acme/d:1.0.0"
        runner.finish.release()
    finally:
        assert queue.drain(timeout=30)
    assert runner.runs.count("poll") == 2


def test_a_poll_longer_than_its_interval_does_not_starve_the_events():
    runner = SteppedRunner()
    queue = RunQueue(runner, debounce=0.0)
    queue.start()
    try:
        queue.poll()
        assert runner.next_run() == "poll"
        queue.submit(pushed("ghcr.io/acme/a:1.0.0"))
        queue.poll()  # due again before the first one ended
        runner.finish.release()
        assert runner.next_run() == "ghcr.io/acme/a:1.0.0"
        runner.finish.release()
        assert runner.next_run() == "poll"
        runner.finish.release()
    finally:
        assert queue.drain(timeout=30)
    assert runner.runs == ["poll", "ghcr.io/acme/a:1.0.0", "poll"]


def test_a_poll_due_while_a_burst_gathers_runs_at_once_and_the_burst_still_runs():
    runner = SteppedRunner()
    queue = RunQueue(runner, debounce=600.0)  # the burst would gather for ten minutes
    queue.start()
    queue.submit(pushed("ghcr.io/acme/a:1.0.0"))
    queue.poll()
    assert runner.next_run() == "poll"
    runner.finish.release()
    assert queue.pending == 1  # still queued, and /healthz says so
    runner.finish.release()  # for the event run the drain starts
    assert queue.drain(timeout=30)
    assert runner.runs == ["poll", "ghcr.io/acme/a:1.0.0"]


def test_polls_keep_their_interval_over_http_while_events_stream_in():
    """The receiver over real HTTP on 127.0.0.1: events are POSTed without a pause, each run
    takes longer than the gap between them, and a poll is asked for again and again."""
    metrics = ServeMetrics()
    ran = threading.Event()

    def runner(batch):
        ran.set()
        threading.Event().wait(0.2)  # a run takes a while: events pile up behind it
        return RunReport(exit_code=0)

    queue = RunQueue(runner, debounce=0.05, on_run=metrics.record_run)
    receiver = Receiver(WebhookApp(queue, WebhookSecrets(token=TOKEN), metrics), Listen("127.0.0.1", 0))
    receiver.start()
    url = f"http://127.0.0.1:{receiver.address.port}"
    stop = threading.Event()

    def stream() -> None:
        with requests.Session() as session:
            for i in range(100_000):
                if stop.is_set():
                    return
                body = {"image": f"127.0.0.1:5000/other/svc{i % 50}:1.{i}.0"}
                session.post(f"{url}/hooks/generic", json=body, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)

    def poll_runs() -> float:
        return metrics.registry.get_sample_value("automator_runs_total", {"trigger": "poll"}) or 0.0

    def event_runs() -> float:
        return metrics.registry.get_sample_value("automator_runs_total", {"trigger": "event"}) or 0.0

    streamer = threading.Thread(target=stream, daemon=True)
    streamer.start()
    try:
        assert ran.wait(10) and _wait_for(lambda: queue.pending, 10)  # events wait behind a run
        for wanted in (1, 2, 3):
            queue.poll()  # what --every does on each interval
            assert _wait_for(lambda wanted=wanted: poll_runs() >= wanted, 20), (
                f"no poll ran while events streamed in: {poll_runs()} polls, {event_runs()} event runs"
            )
        assert event_runs() >= 2  # the events kept running between the polls
    finally:
        stop.set()
        streamer.join(15)
        receiver.stop(timeout=30)


def _wait_for(predicate, seconds: float) -> bool:
    done = threading.Event()
    for _ in range(int(seconds / 0.02)):
        if predicate():
            return True
        done.wait(0.02)
    return predicate()
