"""``automator serve`` as a process: real HTTP on 127.0.0.1, a real checkout and bare remote.
Events become commits on the remote; SIGTERM drains and exits 0."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest
import requests
from git_helpers import ROOT, automator_command, clone, git, isolated_git, make_remote, show  # noqa: F401

DEAD = "127.0.0.1:9"  # semver pushes make no registry request: nothing needs to listen here
TOKEN = "serve-test-token"


def deployment(name: str, image: str) -> str:
    return (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n"
        f"  name: {name}\n  annotations:\n    automator.dev/policy: semver:^1\n"
        "spec:\n  template:\n    spec:\n      containers:\n"
        f"        - name: {name}\n          image: {image}\n"
    )


@pytest.fixture
def served(tmp_path):
    files = {f"apps/{n}.yaml": deployment(n, f"{DEAD}/acme/{n}:1.0.0") for n in ("web", "api", "worker")}
    bare = make_remote(tmp_path, files)
    work = clone(bare, tmp_path / "work")
    git(work, "config", "user.name", "Automation")
    git(work, "config", "user.email", "automation@example.com")
    process, url = start_serve(work, "--debounce", "0.5", "-v")
    yield url, bare, process
    if process.poll() is None:
        process.kill()
        process.wait(10)


def start_serve(work, *options: str) -> tuple[subprocess.Popen, str]:
    """``automator serve apps`` in ``work`` on a free port; the process and its URL."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "AUTOMATOR_WEBHOOK_TOKEN": TOKEN}
    process = subprocess.Popen(
        [*automator_command(), "serve", "apps", "--listen", "127.0.0.1:0", "--no-cache", *options],
        cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    url = None
    deadline = time.monotonic() + 30
    while url is None and time.monotonic() < deadline:
        line = process.stderr.readline()
        if "listening on " in line:
            url = line.split("listening on ", 1)[1].split()[0]
        elif not line and process.poll() is not None:
            break
    if url is None:
        process.kill()
        raise AssertionError(f"serve did not start: {process.communicate()[1]}")
    return process, url


def post(url: str, body: dict, token: str = TOKEN) -> requests.Response:
    return requests.post(f"{url}/hooks/generic", data=json.dumps(body), headers={"Authorization": f"Bearer {token}"}, timeout=10)


def wait_for(predicate, seconds: float = 60.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_a_burst_of_events_becomes_one_commit_on_the_remote(served):
    url, bare, process = served
    for image in (f"{DEAD}/acme/web:1.1.0", f"{DEAD}/acme/web:1.2.0", f"{DEAD}/acme/api:1.3.0"):
        assert post(url, {"image": image}).status_code == 202
    assert wait_for(lambda: "1.3.0" in show(bare, "apps/api.yaml"))
    assert f"{DEAD}/acme/web:1.2.0" in show(bare, "apps/web.yaml")  # the newest of the burst
    assert git(bare, "rev-list", "--count", "main") == "2"  # the seed and one commit
    def metrics() -> str:
        return requests.get(f"{url}/metrics", timeout=10).text

    # the run's counters move when the run has returned, a moment after its push lands
    assert wait_for(lambda: "automator_updates_total 2.0" in metrics())
    assert 'automator_events_received_total{source="generic"} 3.0' in metrics()
    process.send_signal(signal.SIGTERM)
    assert process.wait(30) == 0


def test_a_bad_token_is_refused_and_nothing_is_committed(served):
    url, bare, process = served
    assert post(url, {"image": f"{DEAD}/acme/web:1.9.0"}, token="wrong").status_code == 401
    time.sleep(1.0)
    assert git(bare, "rev-list", "--count", "main") == "1"
    process.send_signal(signal.SIGTERM)
    assert process.wait(30) == 0


def test_sigterm_during_a_burst_still_runs_what_was_accepted(served):
    url, bare, process = served
    assert post(url, {"image": f"{DEAD}/acme/worker:1.4.0"}).status_code == 202
    process.send_signal(signal.SIGTERM)  # within the debounce: the accepted event still runs
    assert process.wait(60) == 0
    assert f"{DEAD}/acme/worker:1.4.0" in show(bare, "apps/worker.yaml")


def test_serve_refuses_to_start_without_any_secret(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOMATOR_")}
    done = subprocess.run([*automator_command(), "serve", ".", "--listen", "127.0.0.1:0"], cwd=tmp_path,
                          env={**env, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "no webhook secret is set" in done.stderr and "--insecure-no-auth" in done.stderr


def test_serve_refuses_a_docker_hub_token_that_cannot_be_one_path_segment(tmp_path):
    """It is the last segment of /hooks/dockerhub/TOKEN: a '/' in it (half of base64 tokens)
    would make every delivery a 404."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOMATOR_")}
    done = subprocess.run([*automator_command(), "serve", ".", "--listen", "127.0.0.1:0"], cwd=tmp_path,
                          env={**env, "PYTHONPATH": str(ROOT), "AUTOMATOR_DOCKERHUB_WEBHOOK_TOKEN": "ab/cd+ef=="},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "cannot hold '/'" in done.stderr and "ab/cd" not in done.stderr


@pytest.mark.parametrize(("path", "message"), [("envs/nope", "envs/nope does not exist"), (".", "is not inside a git checkout")])
def test_serve_refuses_to_start_on_a_path_no_run_could_use(tmp_path, path, message):
    """Every run the receiver starts would fail on such a PATH: it is exit 2 before listening."""
    done = subprocess.run([*automator_command(), "serve", path, "--insecure-no-auth", "--listen", "127.0.0.1:0"], cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "GIT_CEILING_DIRECTORIES": str(tmp_path.parent)},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and "listening" not in done.stderr


@pytest.mark.parametrize(("args", "message"), [(["--listen", "8080"], "expected HOST:PORT"), (["--debounce", "nan"], "--debounce"), (["--queue-size", "0"], "--queue-size")])
def test_bad_receiver_options_are_exit_2(tmp_path, args, message):
    done = subprocess.run([*automator_command(), "serve", ".", "--insecure-no-auth", *args], cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and message in done.stderr


def test_the_listen_address_defaults_to_automator_listen(tmp_path):
    from automator.cli import build_parser
    from automator.commands.options import build_settings
    from automator.context import Context

    args = build_parser(["serve"]).parse_args(["serve", ".", "--insecure-no-auth"])
    settings = build_settings(args.option_groups, args, Context({"AUTOMATOR_LISTEN": "0.0.0.0:8081"}))
    assert (settings.serve.listen.host, settings.serve.listen.port) == ("0.0.0.0", 8081)
    settings = build_settings(args.option_groups, args, Context({}))
    assert (settings.serve.listen.host, settings.serve.listen.port) == ("127.0.0.1", 8080)


@pytest.mark.registry
def test_a_push_event_for_a_build_time_policy_reads_the_real_registry_and_commits(tmp_path, local_registry):
    from registry_proxy import RegistryProxy

    local_registry.push("serve/batch", "nightly-a", created="2026-01-01T00:00:00Z")
    local_registry.push("serve/batch", "nightly-b", created="2026-02-01T00:00:00Z")
    with RegistryProxy(local_registry.url) as proxy:
        host = proxy.url.split("://", 1)[1]
        manifest = deployment("batch", f"{host}/serve/batch:nightly-a").replace("semver:^1", "glob:nightly-*")
        bare = make_remote(tmp_path, {"apps/batch.yaml": manifest})
        work = clone(bare, tmp_path / "work")
        process, url = start_serve(work, "--debounce", "0.2")
        try:
            assert post(url, {"image": f"{host}/serve/batch:nightly-b"}).status_code == 202
            assert wait_for(lambda: "nightly-b" in show(bare, "apps/batch.yaml"))
            process.send_signal(signal.SIGTERM)
            assert process.wait(30) == 0
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(10)
        assert proxy.count(r"/tags/list") == 0  # the event named the tag: nothing was listed
        assert proxy.count(r"/manifests/nightly-b") >= 1  # its build time was read


@pytest.mark.registry
@pytest.mark.slow
def test_a_second_sigterm_abandons_the_drain_even_when_a_worker_thread_receives_it(tmp_path, local_registry):
    """The first SIGTERM drains: the run in flight goes on (here it waits for a registry that
    never answers, up to its deadline). A second one abandons the drain at once, exit 130,
    whichever thread the kernel hands it to: the main thread never waits without a deadline."""
    from registry_proxy import RegistryProxy
    from signal_helpers import signal_a_worker_thread

    local_registry.push("serve/stuck", "nightly-a", created="2026-01-01T00:00:00Z")
    local_registry.push("serve/stuck", "nightly-b", created="2026-02-01T00:00:00Z")
    with RegistryProxy(local_registry.url) as proxy:
        proxy.add_fault(r"/manifests/nightly-b", silent=True, times=100)
        host = proxy.url.split("://", 1)[1]
        manifest = deployment("stuck", f"{host}/serve/stuck:nightly-a").replace("semver:^1", "glob:nightly-*")
        bare = make_remote(tmp_path, {"apps/stuck.yaml": manifest})
        work = clone(bare, tmp_path / "work")
        process, url = start_serve(work, "--debounce", "0.1", "--registry-timeout", "120")
        try:
            assert post(url, {"image": f"{host}/serve/stuck:nightly-b"}).status_code == 202
            assert wait_for(lambda: proxy.count(r"/manifests/nightly-b") >= 1), "the run never asked the registry"
            process.send_signal(signal.SIGTERM)  # drain: the stuck run is waited for
            time.sleep(1.0)
            assert process.poll() is None, "the first SIGTERM must drain, not abandon"
            signalled = time.monotonic()
            signal_a_worker_thread(process)
            code = process.wait(60)
            took = time.monotonic() - signalled
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(10)
    assert code == 130, process.stderr.read()
    assert took < 5, f"exited {took:.1f} s after the second SIGTERM"
    assert "nightly-b" not in show(bare, "apps/stuck.yaml")
