"""Ctrl-C stops a large ``automator update`` (one whose files are read and written by forked
worker processes) whenever it arrives, even while the workers are being started: exit 130,
every file as it was, no traceback from a worker, and no hang.

Ctrl-C in a terminal (or a CI job being cancelled) signals the whole process group: the run
and each of its workers. The workers leave the signal to the run, which stops them and puts
back what they wrote."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from git_helpers import ROOT, deployment, git, isolated_git  # noqa: F401 - a fixture

import automator.run
from automator.parallel import workers

APP = "registry.example/team/app"
FILES = automator.run.POOL_MIN_FILES + 100  # both passes (reading, writing) use worker processes

pytestmark = [
    pytest.mark.skipif(workers() < 2, reason="worker processes are used on two cores or more"),
    pytest.mark.skipif(not Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").exists(),
                       reason="the run's worker processes are watched through /proc"),
]


@pytest.fixture
def env_repo(tmp_path: Path) -> Path:
    """An environment repository with more automated workloads than one process handles."""
    apps = tmp_path / "env" / "apps"
    apps.mkdir(parents=True)
    for number in range(FILES):
        (apps / f"app{number}.yaml").write_text(deployment(f"app{number}", f"{APP}:1.0.0"))
    (tmp_path / "env" / "tags.json").write_text(f'{{"{APP}": ["1.0.0", "1.0.7"]}}')
    git(tmp_path / "env", "init", "--quiet", "-b", "main")
    git(tmp_path / "env", "add", "-A")
    git(tmp_path / "env", "commit", "--quiet", "-m", "Environment repository")
    return tmp_path / "env"


def worker_processes(run: subprocess.Popen) -> set[int]:
    try:
        return {int(pid) for pid in Path(f"/proc/{run.pid}/task/{run.pid}/children").read_text().split()}
    except FileNotFoundError:  # the run has ended
        return set()


def as_reading_workers_start(run: subprocess.Popen, env: Path) -> Callable[[], bool]:
    return lambda: bool(worker_processes(run))


def as_writing_workers_start(run: subprocess.Popen, env: Path) -> Callable[[], bool]:
    """The first pass's workers, then others: those of the writing pass."""
    reading: set[int] = set()

    def ready() -> bool:
        now = worker_processes(run)
        if not reading:
            reading.update(now)
            return False
        return bool(now - reading)
    return ready


def once_files_were_written(run: subprocess.Popen, env: Path) -> Callable[[], bool]:
    first = env / "apps" / "app0.yaml"  # the files are written in the order of their names
    return lambda: f"{APP}:1.0.7" in first.read_text()


@pytest.mark.parametrize("moment", [as_reading_workers_start, as_writing_workers_start, once_files_were_written])
def test_ctrl_c_to_the_process_group_stops_the_update_and_puts_every_file_back(env_repo, moment):
    run = subprocess.Popen(
        [sys.executable, "-m", "automator", "update", "apps", "--tags-from", "tags.json", "-q"],
        cwd=env_repo, env={**os.environ, "PYTHONPATH": str(ROOT)}, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        ready = moment(run, env_repo)
        deadline = time.monotonic() + 120
        while not ready():
            assert run.poll() is None, f"the update ended before the moment came: {run.stderr.read()}"
            assert time.monotonic() < deadline, "the moment never came"
            time.sleep(0.001)
        os.killpg(run.pid, signal.SIGINT)  # Ctrl-C: the run and its workers
        try:
            _, stderr = run.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            pytest.fail("the interrupted update hangs")
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.communicate()

    assert run.returncode == 130, stderr
    assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr
    assert stderr.strip().endswith("automator update: interrupted")
    assert git(env_repo, "status", "--porcelain") == ""  # every file as it was, nothing left beside them
