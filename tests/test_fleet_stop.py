"""SIGTERM stops a fleet at once, whatever its repositories are waiting for, and leaves every
remote as it was.

The repositories of a fleet run in worker threads, which a signal never reaches: the main
thread makes them unwind (their registry requests abandoned, their network git processes
killed, every later step refused), removes their clones and exits 130. Without that, the
fleet waited for each stuck listing's whole retry budget (three times --registry-timeout) or
each stuck clone's deadline before it exited.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
from git_helpers import deployment, git, make_remote, popen_automator
from registry_proxy import RegistryProxy
from signal_helpers import signal_a_worker_thread, sigterm_once

REGISTRY_TIMEOUT = "120"  # a stuck exchange would hold the fleet for minutes


def remotes_for(tmp: Path, images: list[str]) -> list[Path]:
    remotes = []
    for i, image in enumerate(images):
        (tmp / f"env-{i}").mkdir()
        remotes.append(make_remote(tmp / f"env-{i}", {"apps/web.yaml": deployment("web", f"{image}:1.0.0")}))
    return remotes


def heads(remotes: list[Path]) -> list[str]:
    return [git(remote, "rev-parse", "main") for remote in remotes]


def stop_fleet(tmp: Path, urls: list[str], started, *options: str, send=None) -> tuple[int, float, str]:
    """Run ``automator fleet`` over ``urls``, SIGTERM it (``send(process)``: to the process)
    once ``started()`` says every repository is stuck; return (exit code, seconds from the
    signal to the exit, stderr)."""
    (tmp / "fleet.yaml").write_text("version: 1\ndefaults: {path: apps}\nrepositories:\n" + "".join(f"  - url: {u}\n" for u in urls))
    clones = tmp / "clones"
    clones.mkdir()
    process = popen_automator(
        ["fleet", "fleet.yaml", "--no-cache", "--registry-timeout", REGISTRY_TIMEOUT, "--retry-timeout", REGISTRY_TIMEOUT, *options],
        cwd=tmp, env={"HOME": str(tmp), "TMPDIR": str(clones)},
    )
    took, stderr = sigterm_once(process, started, "the repositories never got stuck", send)
    assert list(clones.iterdir()) == [], "a clone was left behind"
    return process.returncode, took, stderr


@pytest.mark.slow
def test_sigterm_while_every_repository_waits_for_a_silent_registry_exits_130_at_once(local_registry, tmp_path):
    for name in ("stuck/a", "stuck/b", "stuck/c"):
        local_registry.push(name, "1.0.0")
    with RegistryProxy(local_registry.url) as proxy:
        proxy.add_fault(r"/tags/list", silent=True, times=100)
        remotes = remotes_for(tmp_path, [f"{proxy.host}/stuck/{n}" for n in "abc"])
        before = heads(remotes)
        code, took, stderr = stop_fleet(tmp_path, [str(r) for r in remotes], lambda: proxy.count(r"/tags/list") >= 1)
    assert code == 130, stderr
    assert "interrupted" in stderr
    assert took < 5, f"exited {took:.1f} s after SIGTERM"
    assert heads(remotes) == before


@pytest.mark.slow
def test_a_sigterm_the_kernel_hands_to_a_worker_thread_still_stops_the_fleet_at_once(local_registry, tmp_path):
    """Python handles signals in the main thread; one delivered to another thread reaches it
    only when it runs again, so the main thread never waits for its workers without a
    deadline."""
    local_registry.push("stuck/d", "1.0.0")
    with RegistryProxy(local_registry.url) as proxy:
        proxy.add_fault(r"/tags/list", silent=True, times=100)
        remotes = remotes_for(tmp_path, [f"{proxy.host}/stuck/d"])
        code, took, stderr = stop_fleet(tmp_path, [str(r) for r in remotes], lambda: proxy.count(r"/tags/list") >= 1,
                                        send=signal_a_worker_thread)
    assert code == 130, stderr
    assert took < 5, f"exited {took:.1f} s after SIGTERM"


@pytest.mark.slow
def test_sigterm_while_waiting_for_another_process_listing_through_redis_exits_130_at_once(local_registry, redis_server, tmp_path):
    import redis

    from automator.registry.redis_cache import PREFIX

    local_registry.push("held/a", "1.0.0")
    image = f"{local_registry.url.split('://', 1)[1]}/held/a"
    client = redis.Redis.from_url(redis_server.url)
    client.set(f"{PREFIX}:lock:tags:{image}", "another-process", px=600_000)  # it lists, we wait
    remotes = remotes_for(tmp_path, [image])
    before = heads(remotes)

    def waiting() -> bool:  # our process polls for the other's listing
        return int(client.info("commandstats").get("cmdstat_mget", {}).get("calls", 0)) >= 2

    code, took, stderr = stop_fleet(tmp_path, [str(r) for r in remotes], waiting, "--cache-url", redis_server.url)
    assert code == 130, stderr
    assert took < 5, f"exited {took:.1f} s after SIGTERM"
    assert heads(remotes) == before


class SilentServer:
    """A TCP server on 127.0.0.1 that accepts every connection and never answers."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.socket.settimeout(0.1)  # the accepting thread looks at ``closing`` between waits
        self.accepted: list[socket.socket] = []
        self.closing = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return self.socket.getsockname()[1]

    def _accept(self) -> None:
        while not self.closing.is_set():
            try:
                connection, _ = self.socket.accept()
            except TimeoutError:
                continue
            self.accepted.append(connection)

    def close(self) -> None:
        self.closing.set()
        self.thread.join()
        self.socket.close()
        for connection in self.accepted:
            connection.close()


@pytest.mark.slow
def test_sigterm_while_repositories_are_cloned_from_a_silent_server_kills_the_clones_and_exits_130(tmp_path):
    server = SilentServer()
    try:
        urls = [f"http://127.0.0.1:{server.port}/env-{i}.git" for i in range(2)]
        code, took, stderr = stop_fleet(tmp_path, urls, lambda: len(server.accepted) >= 2)
    finally:
        server.close()
    assert code == 130, stderr
    assert "interrupted" in stderr
    assert took < 5, f"exited {took:.1f} s after SIGTERM"


def twice(process: subprocess.Popen) -> None:
    """Ctrl-C, and Ctrl-C again while the fleet waits for its workers."""
    process.send_signal(signal.SIGINT)
    time.sleep(0.5)
    process.send_signal(signal.SIGINT)


@pytest.mark.slow
@pytest.mark.parametrize("send", [None, twice], ids=["one-sigterm", "two-sigints"])
def test_sigterm_while_repositories_wait_for_a_silent_forge_exits_130_at_once(tmp_path, send):
    """A pull request's API calls run in the workers too, and nothing cuts a forge request
    short: the fleet waits 2 s for its workers, then leaves those still waiting (their
    clones removed) instead of waiting out the request's 30 s timeout. A second signal
    ends the wait sooner, and the clones are removed all the same."""
    (tmp_path / "tags.json").write_text('{"registry.example.com/team/web": ["1.0.0", "1.1.0"]}')
    remotes = remotes_for(tmp_path, ["registry.example.com/team/web"] * 2)
    urls = [f"https://github.com/acme/env-{i}.git" for i in range(len(remotes))]
    for remote, url in zip(remotes, urls, strict=True):  # git is sent to the bare remotes on disk
        git(tmp_path, "config", "--file", str(tmp_path / ".gitconfig"), f"url.{remote}.insteadOf", url)
    before = heads(remotes)
    server = SilentServer()
    try:
        (tmp_path / "fleet.yaml").write_text(
            f"version: 1\ndefaults: {{path: apps, mode: pr, forge-url: 'http://127.0.0.1:{server.port}'}}\nrepositories:\n"
            + "".join(f"  - url: {u}\n" for u in urls))
        clones = tmp_path / "clones"
        clones.mkdir()
        process = popen_automator(["fleet", "fleet.yaml", "--tags-from", "tags.json"], cwd=tmp_path,
                                  env={"HOME": str(tmp_path), "TMPDIR": str(clones), "GITHUB_TOKEN": "ghp_" + "f" * 36})
        took, stderr = sigterm_once(process, lambda: len(server.accepted) >= 2, "no pull request was ever asked for",
                                    send, exit_within=200)
    finally:
        server.close()
    assert process.returncode == 130, stderr
    assert took < 5, f"exited {took:.1f} s after SIGTERM"
    if send is None:
        assert "2 repositories still running 2 s after the stop" in stderr
    assert list(clones.iterdir()) == [], "a clone was left behind"
    assert heads(remotes) == before  # a pull request's branch is pushed, its base never
