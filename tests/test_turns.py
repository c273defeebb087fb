"""Turns: a fleet's repositories run Python code one at a time and overlap their waits."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

from automator.context import Context
from automator.fleet import runner
from automator.fleet.runner import RepositoryResult, run_fleet
from automator.fleet.spec import FleetRepository
from automator.git import command, network
from automator.settings import Settings
from automator.turns import Turns, holds_turn, waiting


def run_together(*targets) -> None:
    threads = [threading.Thread(target=target) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)


def test_waiting_without_a_turn_changes_nothing():
    with waiting():
        assert not holds_turn()
    assert not holds_turn()


def test_a_turn_is_given_back_while_waiting_and_taken_again_after():
    turns = Turns(1)
    order: list[str] = []
    first_waits, second_done = threading.Event(), threading.Event()

    def first() -> None:
        with turns.turn():
            order.append("first runs")
            with waiting():
                first_waits.set()
                second_done.wait(30)  # only possible if the turn was given back
            assert holds_turn()  # taken again after the wait
            order.append("first runs again")

    def second() -> None:
        first_waits.wait(30)
        with turns.turn():
            order.append("second runs")
        second_done.set()

    run_together(first, second)
    assert order == ["first runs", "second runs", "first runs again"]


def test_a_thread_without_its_turn_waits_for_it():
    turns = Turns(1)
    order: list[str] = []
    holding = threading.Event()

    def holder() -> None:
        with turns.turn():
            holding.set()
            order.append("holder starts")
            for _ in range(10_000):  # Python work, no wait: the turn stays here
                pass
            order.append("holder ends")

    def other() -> None:
        holding.wait(30)
        with turns.turn():
            order.append("other runs")

    run_together(holder, other)
    assert order == ["holder starts", "holder ends", "other runs"]


def test_the_fleet_runs_one_repository_at_a_time_and_overlaps_their_waits(monkeypatch):
    """Every repository must be inside its wait at the same moment to pass the barrier: that
    happens only if each gave its turn back; outside the wait, never two run at once."""
    repositories = [FleetRepository(url=f"https://git.example.com/env-{i}.git", paths=("apps",)) for i in range(4)]
    all_waiting = threading.Barrier(len(repositories), timeout=30)
    running, most = [0], [0]
    lock = threading.Lock()

    def fake_run(repository, base, ctx, source):
        assert holds_turn()
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        with lock:
            running[0] -= 1
        with waiting():  # as around a git process or a listing
            all_waiting.wait()
        return RepositoryResult(repository)

    monkeypatch.setattr(runner, "run_repository", fake_run)
    result = run_fleet(repositories, Settings(), Context({}), source=None, parallel=4)  # type: ignore[arg-type]
    assert [r.repository for r in result.repositories] == repositories
    assert most[0] == 1


def test_a_git_process_runs_without_the_turn(monkeypatch, tmp_path: Path):
    seen: list[bool] = []

    def fake_run(args, **kwargs):
        seen.append(holds_turn())
        return subprocess.CompletedProcess(args, 0, b"", b"")

    monkeypatch.setattr(command.subprocess, "run", fake_run)
    with Turns(1).turn():
        command.run_command(["status"], cwd=tmp_path)
        assert holds_turn()
    assert seen == [False]


def test_a_network_git_process_runs_without_the_turn(monkeypatch, tmp_path: Path):
    seen: list[bool] = []
    real_popen = network.subprocess.Popen

    def spy_popen(*args, **kwargs):
        seen.append(holds_turn())
        return real_popen(*args, **kwargs)

    monkeypatch.setattr(network.subprocess, "Popen", spy_popen)
    with Turns(1).turn():
        status, out, _ = network.run_git(["--version"], timeout=30, what="git --version", cwd=tmp_path)
        assert holds_turn()
    assert status == 0 and out.startswith("git version")
    assert seen == [False]
