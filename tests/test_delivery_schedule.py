"""Cron mode: intervals, once versus loop, graceful SIGTERM, abandon on a second signal, health."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from automator import schedule
from automator.errors import ExitCode, RegistryError, UsageError


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("5m", 300), ("1h", 3600), ("1h30m", 5400), ("2d", 172800), ("90", 90), ("1.5m", 90), (" 10S ", 10)],
)
def test_interval_parsing(text, seconds):
    assert schedule.parse_interval(text) == seconds


@pytest.mark.parametrize("text", ["", "5x", "m5", "0s", "-1m", "5 m", "1h-30m"])
def test_bad_interval_is_a_usage_error_that_shows_the_format(text):
    with pytest.raises(UsageError, match="30s, 5m, 1h|more than zero"):
        schedule.parse_interval(text)


def read(path):
    return json.loads(path.read_text())


def test_without_every_runs_once_and_returns_the_attempts_code(tmp_path):
    calls = []
    health = tmp_path / "health"
    code = schedule.run_scheduled(lambda: calls.append(1) or 1, health_file=health)
    assert (code, len(calls)) == (1, 1)
    assert read(health)["status"] == "partial" and read(health)["exit_code"] == 1


def test_once_reraises_an_error_after_recording_it(tmp_path):
    health = tmp_path / "health"

    def attempt():
        raise RegistryError("ghcr.io refused the token")

    with pytest.raises(RegistryError):
        schedule.run_scheduled(attempt, health_file=health)
    assert read(health) | {"timestamp": 0, "time": "", "pid": 0} == {
        "status": "failed",
        "exit_code": 1,
        "attempt": 1,
        "message": "ghcr.io refused the token",
        "timestamp": 0,
        "time": "",
        "pid": 0,
    }


def test_sigterm_before_the_push_abandons_the_attempt_and_the_loop_stops_with_0(tmp_path):
    health = tmp_path / "health"
    finished = []

    def attempt():
        if len(finished) == 2:
            os.kill(os.getpid(), signal.SIGTERM)  # nothing is pushing: the attempt is abandoned here
        finished.append(True)
        return 0

    assert schedule.run_scheduled(attempt, every=0.01, health_file=health) == 0
    assert len(finished) == 2
    assert read(health)["status"] == "stopped" and read(health)["attempt"] == 3


def test_sigterm_during_the_push_lets_it_finish_then_the_loop_stops_with_0(tmp_path):
    from automator.interrupts import pushing

    health = tmp_path / "health"
    finished = []

    def attempt():
        with pushing():
            os.kill(os.getpid(), signal.SIGTERM)
            finished.append("pushed")
        return 0

    assert schedule.run_scheduled(attempt, every=60, health_file=health) == 0
    assert finished == ["pushed"]
    assert read(health)["status"] == "stopped" and read(health)["attempt"] == 1


def test_a_second_sigterm_abandons_the_push_in_flight(tmp_path):
    from automator.interrupts import pushing

    health = tmp_path / "health"
    reached = []

    def attempt():
        with pushing():
            os.kill(os.getpid(), signal.SIGTERM)
            os.kill(os.getpid(), signal.SIGTERM)
            reached.append("after both signals")
        return 0

    with pytest.raises(KeyboardInterrupt):
        schedule.run_scheduled(attempt, every=60, health_file=health)
    assert reached == []
    assert read(health)["status"] == "abandoned" and read(health)["exit_code"] == ExitCode.INTERRUPTED


def test_sigterm_while_waiting_ends_the_loop_without_another_attempt(tmp_path):
    health = tmp_path / "health"
    calls = []

    def attempt():
        calls.append(1)
        threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGTERM)).start()
        return 0

    assert schedule.run_scheduled(attempt, every=3600, health_file=health) == 0
    assert calls == [1]
    assert read(health)["status"] == "stopped"


def test_a_sigterm_handed_to_another_thread_while_waiting_ends_the_loop_at_once(tmp_path):
    """The kernel may deliver SIGTERM to any thread (the registry's watchdog thread lives on
    between attempts); Python handles it in the main thread once that thread wakes up, so the
    loop waits in short steps, not a heartbeat at a time."""
    health = tmp_path / "health"
    calls = []
    asleep = threading.Event()
    bystander = threading.Thread(target=asleep.wait, daemon=True)  # a thread that outlives the attempt

    def attempt():
        calls.append(1)
        bystander.start()
        threading.Timer(0.2, lambda: signal.pthread_kill(bystander.ident, signal.SIGTERM)).start()
        return 0

    started = time.monotonic()
    try:
        assert schedule.run_scheduled(attempt, every=3600, health_file=health, heartbeat=20) == 0
    finally:
        asleep.set()
    assert time.monotonic() - started < 5, "the loop slept through the signal until its heartbeat"
    assert calls == [1]
    assert read(health)["status"] == "stopped"


def test_the_loop_survives_failed_attempts_and_records_them(tmp_path):
    health = tmp_path / "health"
    seen = []

    def attempt():
        seen.append(read(health)["status"])
        if len(seen) == 1:
            raise RegistryError("registry.example down")
        if len(seen) == 2:
            raise ValueError("unexpected")
        os.kill(os.getpid(), signal.SIGTERM)
        return 0

    assert schedule.run_scheduled(attempt, every=0.01, health_file=health) == 0
    assert seen == ["running", "running", "running"]
    assert read(health)["status"] == "stopped"


def test_signal_handlers_are_restored_afterwards():
    before = signal.getsignal(signal.SIGTERM)
    schedule.run_scheduled(lambda: 0)
    assert signal.getsignal(signal.SIGTERM) is before


@pytest.mark.parametrize(("age", "fresh"), [(5, True), (599, True), (601, False)])
def test_health_check_compares_the_timestamp_with_max_age(tmp_path, age, fresh):
    health = tmp_path / "health"
    schedule.write_health(health, "ok", exit_code=0, attempt=4)
    ok, summary = schedule.check_health(health, 600, now=read(health)["timestamp"] + age)
    assert ok is fresh
    assert summary.startswith(f"{health}: ok {age}s ago (attempt 4)")


def test_health_check_command_as_a_probe_process(tmp_path):
    health = tmp_path / "health"
    probe = [sys.executable, "-m", "automator.schedule", "check", str(health), "--max-age", "1m"]
    missing = subprocess.run(probe, capture_output=True, text=True)
    assert missing.returncode == 1 and "unreadable health file" in missing.stderr
    schedule.write_health(health, "ok", exit_code=0, attempt=1)
    fresh = subprocess.run(probe, capture_output=True, text=True)
    assert fresh.returncode == 0 and ": ok " in fresh.stdout
    record = read(health)
    record["timestamp"] = time.time() - 3600
    health.write_text(json.dumps(record))
    assert subprocess.run(probe, capture_output=True).returncode == 1


def test_once_sigterm_abandons_the_attempt_at_once(tmp_path):
    health = tmp_path / "health"
    reached = []

    def attempt():
        os.kill(os.getpid(), signal.SIGTERM)
        reached.append("after the signal")
        return 0

    with pytest.raises(KeyboardInterrupt):
        schedule.run_scheduled(attempt, health_file=health)
    assert reached == []
    assert read(health)["status"] == "abandoned"


def test_once_records_an_abandoned_attempt(tmp_path):
    health = tmp_path / "health"

    def attempt():
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        schedule.run_scheduled(attempt, health_file=health)
    assert read(health)["status"] == "abandoned"
