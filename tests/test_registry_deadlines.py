"""Nothing waits forever: a total deadline per exchange, whatever the registry does on the wire.

Each test puts one misbehaving registry (a fault-injecting proxy in front of the real one) next
to a healthy one, with a deadline of 1 s, and checks the exit state, the time taken as a ratio
to the deadline, that the healthy repositories were still listed and what the message says.
"""

from __future__ import annotations

import threading
import time

import pytest
from registry_helpers import docker_config
from registry_proxy import RegistryProxy

from automator.context import Context
from automator.errors import AutomatorError
from automator.registry import RegistrySettings, RegistryTagSource
from automator.registry.source import retry_policy
from automator.registry.transport import Transport

DEADLINE = 1.0
SLOW = ["late/one", "late/two", "late/three"]
HEALTHY = ["fine/one", "fine/two"]


@pytest.fixture(scope="module")
def pushed(local_registry):
    for name in SLOW + HEALTHY:
        local_registry.push(name, "1.0.0", created="2024-01-01T00:00:00Z")
    return local_registry


@pytest.fixture
def proxies(pushed):
    with RegistryProxy(pushed.url) as bad, RegistryProxy(pushed.url) as good:
        yield bad, good


def _source(ctx: Context | None = None, **settings) -> RegistryTagSource:
    settings.setdefault("timeout", DEADLINE)
    chosen = RegistrySettings(**settings)
    source = RegistryTagSource(ctx or Context({"HOME": "/nonexistent"}), settings=chosen)
    source.transport = Transport(retry=retry_policy(chosen), sleep=lambda s: time.sleep(min(s, 0.01)))
    return source


def _list_both(bad: RegistryProxy, good: RegistryProxy, ctx: Context | None = None, **settings):
    repos = [f"{bad.host}/{n}" for n in SLOW] + [f"{good.host}/{n}" for n in HEALTHY]
    started = time.monotonic()
    with _source(ctx, **settings) as source:
        result = source.list_tags(repos)
    return result, (time.monotonic() - started) / DEADLINE


def _assert_healthy_listed(result, good: RegistryProxy) -> None:
    for name in HEALTHY:
        listed = result[f"{good.host}/{name}"]
        assert not isinstance(listed, AutomatorError), str(listed)
        assert [t.tag for t in listed] == ["1.0.0"]


def _assert_late(result, bad: RegistryProxy) -> list[str]:
    messages = []
    for name in SLOW:
        error = result[f"{bad.host}/{name}"]
        assert isinstance(error, AutomatorError), f"{name} was listed: {error}"
        messages.append(str(error))
    assert all(bad.host in m for m in messages)
    return messages


@pytest.mark.parametrize("where", ["status", "body"])
def test_an_answer_trickled_one_byte_at_a_time_is_cut_at_the_deadline(proxies, where):
    bad, good = proxies
    bad.add_fault(r"/tags/list", status=200, body='{"name": "x", "tags": ["1.0.0"]}', trickle=0.3,
                  trickle_from=where, times=100)
    result, ratio = _list_both(bad, good)
    messages = _assert_late(result, bad)
    _assert_healthy_listed(result, good)
    assert any("within the 1 s deadline" in m for m in messages), messages
    assert ratio < 5, f"took {ratio:.1f} x the deadline"  # one budget of 3 x the deadline, plus slack


def test_a_silent_registry_costs_one_retry_budget_for_all_its_repositories(proxies):
    bad, good = proxies
    bad.add_fault(r"/tags/list", silent=True, times=100)
    result, ratio = _list_both(bad, good)
    messages = _assert_late(result, bad)
    _assert_healthy_listed(result, good)
    assert any(f"no complete answer from {bad.host} within the 1 s deadline" in m for m in messages), messages
    assert any("--registry-timeout" in m for m in messages)
    assert ratio < 5, f"took {ratio:.1f} x the deadline"
    assert bad.count(r"/tags/list") <= 3 * len(SLOW)  # within the budget, not 4 attempts each


def test_a_slow_first_request_holds_the_others_on_that_registry_one_deadline_at_most(proxies):
    """The first request to a registry goes alone (to learn its challenge); when it does not
    come back, the others go on after one deadline instead of waiting for its retries."""
    bad, _ = proxies
    bad.add_fault(r"/late/one/tags/list", silent=True, times=100)
    finished: list[float] = []
    started = time.monotonic()
    repos = [f"{bad.host}/{n}" for n in SLOW]
    with _source() as source:
        source.progress = lambda message: finished.append((time.monotonic() - started) / DEADLINE)
        result = source.list_tags(repos)
    assert isinstance(result[repos[0]], AutomatorError)
    assert [t.tag for t in result[repos[1]]] == [t.tag for t in result[repos[2]]] == ["1.0.0"]
    assert len(finished) == 3 and finished[1] < 2, f"the healthy ones finished at {finished} x the deadline"


def test_a_token_service_that_never_answers_is_an_error_naming_it(tmp_path_factory, pushed):
    from local_registry import start_registry

    registry = start_registry(tmp_path_factory.mktemp("token-silent"), token={"tok": "tok-password-9"})
    try:
        registry.push("late/one", "1.0.0", created="2024-01-01T00:00:00Z")
        token_url = registry.token_server.url
        with RegistryProxy(token_url) as silent_tokens, RegistryProxy(registry.url) as bad, \
                RegistryProxy(pushed.url) as good:
            silent_tokens.add_fault(r"/token", silent=True, times=100)
            bad.replace_in_headers.append((token_url, silent_tokens.url))
            ctx = docker_config(tmp_path_factory.mktemp("token-config"),
                                {bad.host: {"username": "tok", "password": "tok-password-9"}})
            result, ratio = _list_both(bad, good, ctx)
        messages = _assert_late(result, bad)
        _assert_healthy_listed(result, good)
        assert any(f"token service {silent_tokens.host}" in m and "1 s deadline" in m for m in messages), messages
        assert ratio < 6, f"took {ratio:.1f} x the deadline"
        assert not any("tok-password-9" in m for m in messages)
    finally:
        registry.stop()


def test_a_body_shorter_than_its_content_length_says_so(proxies):
    bad, good = proxies
    bad.add_fault(r"/tags/list", status=200, body='{"name": "late/one", "tags": ["1.0.0", "1.1.0"]}', cut=12,
                  times=100)
    result, _ = _list_both(bad, good)
    messages = _assert_late(result, bad)
    _assert_healthy_listed(result, good)
    assert all("cut off: the connection closed after 12 of 48 bytes" in m for m in messages), messages
    assert not any("check the registry address" in m for m in messages)


def test_an_endless_body_is_abandoned_at_the_size_limit(proxies):
    bad, good = proxies
    bad.add_fault(r"/tags/list", status=200, endless=True, times=100)
    result, ratio = _list_both(bad, good)
    messages = _assert_late(result, bad)
    _assert_healthy_listed(result, good)
    assert all("answer too large" in m and "the 4 MiB limit" in m for m in messages), messages
    assert bad.count(r"/tags/list") == len(SLOW)  # never asked again: it would only be as large
    assert ratio < 3


def test_a_status_line_trickled_then_closed_is_not_called_malformed_json(proxies):
    bad, good = proxies
    bad.add_fault(r"/tags/list", raw=b"HTTP/1.1 200 OK\r\n", trickle=0.01, times=100)
    result, _ = _list_both(bad, good)
    messages = _assert_late(result, bad)
    _assert_healthy_listed(result, good)
    assert all("closed after the status line, before the answer was complete" in m for m in messages), messages
    assert not any("not JSON" in m for m in messages)


def test_cancel_abandons_the_requests_in_flight_at_once(proxies):
    bad, _ = proxies
    bad.add_fault(r"/tags/list", silent=True, times=100)
    repos = [f"{bad.host}/{n}" for n in SLOW]
    source = _source(timeout=30.0)
    result: dict = {}
    lister = threading.Thread(target=lambda: result.update(source.list_tags(repos)), daemon=True)
    lister.start()
    while bad.count(r"/tags/list") == 0:
        time.sleep(0.01)
    cancelled = time.monotonic()
    source.cancel()
    lister.join(timeout=10)
    assert not lister.is_alive()
    assert time.monotonic() - cancelled < 2
    assert all("abandoned (interrupted)" in str(result[r]) for r in repos)


def test_settings_refuse_deadlines_that_are_not_positive_finite_numbers():
    for bad in (0, -1, float("nan"), float("inf"), True):
        with pytest.raises(AutomatorError, match="--registry-timeout must be a positive number"):
            RegistrySettings(timeout=bad)
    with pytest.raises(AutomatorError, match="--max-tags"):
        RegistrySettings(max_tags=0)


MANIFEST = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations:
    fluxcd.io/automated: "true"
    fluxcd.io/tag.app: semver:^1
spec:
  template:
    spec:
      containers:
      - name: app
        image: {image}:1.0.0
"""


def sigterm_into_a_stuck_listing(proxies, tmp_path, args: list[str], repository: str, send=None):
    """Start ``automator ARGS`` on a checkout whose image is on a silent registry, send SIGTERM
    (``send(process)``: to the process) once the listing reached it; return (exit code,
    seconds from SIGTERM to exit, stderr, the manifest before, the checkout)."""
    from git_helpers import clone, make_remote, popen_automator
    from signal_helpers import sigterm_once

    bad, _ = proxies
    bad.add_fault(r"/tags/list", silent=True, times=100)
    files = {"web.yaml": MANIFEST.format(image=f"{bad.host}/{repository}")}
    work = clone(make_remote(tmp_path, files), tmp_path / "work")
    process = popen_automator([*args, str(work), "--no-cache"], cwd=work, env={"HOME": str(tmp_path)})
    listing = rf"/{repository}/tags/list"
    took, stderr = sigterm_once(process, lambda: bad.count(listing) == 1, "the listing never reached the registry", send, exit_within=10)
    return process.returncode, took, stderr, files["web.yaml"], work


@pytest.mark.slow
@pytest.mark.parametrize("command", [["scan"], ["update"], ["run", "--no-push"]])
def test_sigterm_during_a_listing_stuck_on_a_silent_registry_exits_130_within_2_s(proxies, tmp_path, command):
    code, took, stderr, before, work = sigterm_into_a_stuck_listing(proxies, tmp_path, command, "late/one")
    assert code == 130, stderr
    assert took < 2, f"exited {took:.1f} s after SIGTERM"
    assert "interrupted" in stderr
    assert (work / "web.yaml").read_text() == before


@pytest.mark.slow
def test_a_sigterm_the_kernel_hands_to_a_registry_worker_thread_still_stops_the_scan_at_once(proxies, tmp_path):
    """Python runs signal handlers in the main thread only, when it next runs: waiting for the
    listing, it wakes up a few times a second to let them in."""
    from signal_helpers import signal_a_worker_thread

    code, took, stderr, before, work = sigterm_into_a_stuck_listing(proxies, tmp_path, ["scan"], "late/thread",
                                                                    send=signal_a_worker_thread)
    assert code == 130, stderr
    assert took < 2, f"exited {took:.1f} s after SIGTERM"
    assert (work / "web.yaml").read_text() == before


@pytest.mark.slow
def test_sigterm_to_a_loop_stuck_on_a_silent_registry_abandons_the_attempt_and_exits_0_within_2_s(proxies, tmp_path):
    code, took, stderr, before, work = sigterm_into_a_stuck_listing(proxies, tmp_path, ["run", "--every", "1h"], "late/loop")
    assert code == 0, stderr
    assert took < 2, f"exited {took:.1f} s after SIGTERM"
    assert "abandoning the attempt (nothing was pushed yet)" in stderr
    assert (work / "web.yaml").read_text() == before


def test_the_listing_reports_its_progress_per_repository_and_registry(proxies):
    bad, good = proxies
    repos = [f"{bad.host}/{n}" for n in SLOW] + [f"{good.host}/{n}" for n in HEALTHY]
    messages: list[str] = []
    with _source() as source:
        source.progress = messages.append
        source.list_tags(repos)
    assert messages == [f"listing tags: {i}/5 repositories, 2 registries" for i in range(1, 6)]
