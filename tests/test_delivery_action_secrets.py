"""The Action's secrets never reach a command line, and never outlive the step.

* ``cache-url``: the run gets the URL without its password (``ps`` shows the command line to
  every user of the runner) and the password as ``REDIS_PASSWORD`` in its own environment,
  which the run reads as it reads the URL's password.
* A cancelled job (SIGTERM or SIGINT to the step) is passed on to the run, which stops as a run
  does (exit 130), and only then does the step remove the private docker config holding the
  registry password; the run is never left behind.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from git_helpers import ROOT, clone, deployment, make_remote

from automator.ci import action as entry
from automator.ci.inputs import input_variable

REDIS_PASSWORD = "RedisPw4242-action"
REGISTRY_PASSWORD = "RegPw-9431-action"


def inputs(**values: str) -> dict[str, str]:
    return {input_variable(k.replace("_", "-")): v for k, v in values.items()}


def workspace_with(tmp_path: Path, image: str) -> Path:
    bare = make_remote(tmp_path, {"envs/prod/app.yaml": deployment("app", image)})
    return clone(bare, tmp_path / "workspace")


@pytest.mark.registry
def test_the_cache_password_reaches_the_run_in_its_environment_not_on_its_command_line(
        tmp_path, local_registry, redis_server, monkeypatch, capsys):
    import redis

    redis.Redis.from_url(redis_server.url).config_set("requirepass", REDIS_PASSWORD)
    for tag in ("1.0.0", "1.1.0"):
        local_registry.push("action-secrets/app", tag)
    workspace = workspace_with(tmp_path, f"{local_registry.host}/action-secrets/app:1.0.0")
    started: list[tuple[list[str], dict[str, str]]] = []
    real_popen = subprocess.Popen

    def recording_popen(argv, *args, **kwargs):  # the real child, its command line noted
        started.append((list(argv), dict(kwargs.get("env") or {})))
        return real_popen(argv, *args, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", recording_popen)
    monkeypatch.chdir(workspace)  # the step runs in the workspace
    cache_url = redis_server.url.replace("redis://", f"redis://:{REDIS_PASSWORD}@")
    environ = {**os.environ, "PYTHONPATH": str(ROOT), "HOME": str(tmp_path / "home"), "RUNNER_TEMP": str(tmp_path),
               "GITHUB_WORKSPACE": str(workspace),
               **inputs(path="envs/prod", dry_run="true", cache_url=cache_url, insecure_registries=local_registry.host)}

    code = entry.main(environ)

    assert code == 0, capsys.readouterr()
    [(argv, env)] = [(a, e) for a, e in started if a[1:3] == ["-m", "automator"]]
    assert f"--cache-url={redis_server.url}" in argv
    assert not any(REDIS_PASSWORD in arg for arg in argv)
    assert env["REDIS_PASSWORD"] == REDIS_PASSWORD
    authenticated = redis.Redis.from_url(redis_server.url, password=REDIS_PASSWORD)
    assert authenticated.keys("automator:*"), "the run listed its tags through the shared cache"
    assert f"::add-mask::{REDIS_PASSWORD}" in capsys.readouterr().out


class SilentRegistry:
    """A registry that accepts connections and never answers: a run waits on it."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.host = f"127.0.0.1:{self.server.getsockname()[1]}"
        self.connected = threading.Event()
        self._held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            self._held.append(connection)
            self.connected.set()

    def close(self) -> None:
        self.server.close()
        for connection in self._held:
            connection.close()


def children_of(pid: int) -> list[int]:
    found = []
    for entry_ in Path("/proc").iterdir():
        if entry_.name.isdigit():
            try:
                stat = (entry_ / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry_.name))
    return found


def alive(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_cancelled_step_stops_the_run_and_removes_the_registry_password(tmp_path, signum):
    registry = SilentRegistry()
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir()
    workspace = workspace_with(tmp_path, f"{registry.host}/team/app:1.0.0")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HOME": str(tmp_path / "home"), "RUNNER_TEMP": str(runner_temp),
           "GITHUB_WORKSPACE": str(workspace),
           **inputs(path="envs/prod", dry_run="true", insecure_registries=registry.host, registry_timeout="120",
                    registry=registry.host, registry_username="bot", registry_password=REGISTRY_PASSWORD)}
    step = subprocess.Popen([sys.executable, "-m", "automator.ci.action"], cwd=workspace, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert registry.connected.wait(60), "the run never asked the registry"
        [config] = runner_temp.glob("automator-*/docker/config.json")
        assert config.is_file()  # the password is on disk while the run needs it
        [run] = children_of(step.pid)

        step.send_signal(signum)
        _, stderr = step.communicate(timeout=30)
    finally:
        if step.poll() is None:
            step.kill()
            step.communicate()
        registry.close()

    assert step.returncode == 130, stderr
    assert "interrupted" in stderr  # the run's own word: it unwound as a run does
    deadline = time.monotonic() + 5
    while alive(run) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(run), "the run was left behind"
    assert list(runner_temp.iterdir()) == []  # the docker config with the password is gone
