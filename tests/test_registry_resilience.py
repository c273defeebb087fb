"""Retries, Retry-After, timeouts, rate budgets and request logging, through a faulty proxy."""

from __future__ import annotations

import logging

import pytest
from local_registry import free_port
from registry_helpers import FAST_RETRY
from registry_proxy import RegistryProxy

from automator.context import Context
from automator.errors import AutomatorError
from automator.registry import RegistryTagSource, RetryPolicy, Transport


@pytest.fixture(scope="module")
def pushed(local_registry):
    for name in ("res/one", "res/two", "res/three"):
        local_registry.push(name, "1.0.0", created="2024-01-01T00:00:00Z")
    return local_registry


@pytest.fixture
def proxy(pushed):
    with RegistryProxy(pushed.url) as proxy:
        yield proxy


def _source(waits: list[float], retry: RetryPolicy = FAST_RETRY, **kwargs) -> RegistryTagSource:
    transport = Transport(retry=retry, sleep=waits.append, **kwargs)
    return RegistryTagSource(Context(), transport=transport, concurrency=kwargs.pop("concurrency", 1))


def _list_one(proxy, name, waits, **kwargs):
    repo = f"{proxy.host}/{name}"
    with _source(waits, **kwargs) as source:
        return source.list_tags([repo])[repo]


def test_429_waits_as_long_as_retry_after_says(proxy):
    proxy.add_fault(r"/tags/list", status=429, headers={"Retry-After": "2"})
    waits: list[float] = []
    result = _list_one(proxy, "res/one", waits)
    assert [t.tag for t in result] == ["1.0.0"]
    assert waits == [2.0]
    assert proxy.count(r"/res/one/tags/list") == 2


def test_retry_after_beyond_the_cap_gives_up_with_a_clear_message(proxy):
    proxy.add_fault(r"/tags/list", status=429, headers={"Retry-After": "3600"})
    waits: list[float] = []
    error = _list_one(proxy, "res/one", waits)
    assert isinstance(error, AutomatorError)
    assert "rate limited" in str(error) and "3600 s" in str(error) and f"{proxy.host}/res/one" in str(error)
    assert waits == [] and proxy.count(r"/tags/list") == 1


def test_5xx_is_retried_with_growing_jittered_backoff(proxy):
    proxy.add_fault(r"/tags/list", status=503, times=2)
    waits: list[float] = []
    result = _list_one(proxy, "res/one", waits)
    assert [t.tag for t in result] == ["1.0.0"]
    assert len(waits) == 2
    assert 0.005 <= waits[0] <= 0.01 and 0.01 <= waits[1] <= 0.02


def test_persistent_5xx_ends_as_an_error_for_that_repository_only(proxy):
    proxy.add_fault(r"/res/one/tags/list", status=500, times=10)
    repos = [f"{proxy.host}/res/one", f"{proxy.host}/res/two"]
    with _source([]) as source:
        result = source.list_tags(repos)
    assert "HTTP 500" in str(result[repos[0]]) and repos[0] in str(result[repos[0]])
    assert [t.tag for t in result[repos[1]]] == ["1.0.0"]
    assert proxy.count(r"/res/one/tags/list") == FAST_RETRY.attempts


def test_a_stalled_answer_times_out_and_is_retried(proxy):
    retry = RetryPolicy(attempts=2, backoff=0.01, connect_timeout=1.0, read_timeout=0.3)
    proxy.add_fault(r"/tags/list", delay=1.0)
    waits: list[float] = []
    result = _list_one(proxy, "res/one", waits, retry=retry)
    assert [t.tag for t in result] == ["1.0.0"]
    assert len(waits) == 1


def test_an_unreachable_registry_is_reported_after_the_retries():
    host = f"127.0.0.1:{free_port()}"
    waits: list[float] = []
    with _source(waits) as source:
        error = source.list_tags([f"{host}/res/one"])[f"{host}/res/one"]
    assert isinstance(error, AutomatorError)
    assert "connection failed after 3 attempts" in str(error) and host in str(error)
    assert len(waits) == 2


def test_a_nearly_spent_rate_budget_stops_further_requests(proxy):
    proxy.add_fault(r"/res/one/tags/list", status=200, body='{"name": "res/one", "tags": ["1.0.0"]}',
                    headers={"ratelimit-remaining": "3;w=21600", "ratelimit-limit": "100;w=21600"})
    repos = [f"{proxy.host}/res/one", f"{proxy.host}/res/two", f"{proxy.host}/res/three"]
    with _source([], rate_limit_reserve=5) as source:
        result = source.list_tags(repos)
    assert [t.tag for t in result[repos[0]]] == ["1.0.0"]
    for repo in repos[1:]:
        message = str(result[repo])
        assert "stopped before exhausting the rate limit" in message and "3 requests left" in message
    assert proxy.count(r"/tags/list") == 1


def test_one_debug_line_per_request_and_no_secrets(proxy, caplog, tmp_path):
    caplog.set_level(logging.DEBUG, logger="automator.registry")
    proxy.add_fault(r"/tags/list", status=502)
    _list_one(proxy, "res/two", [])
    lines = [r.getMessage() for r in caplog.records if r.name == "automator.registry"]
    assert lines == [
        f"GET http://{proxy.host}/v2/res/two/tags/list?n=1000 -> 502" + lines[0].split("-> 502")[1],
        f"GET http://{proxy.host}/v2/res/two/tags/list?n=1000 -> 200" + lines[1].split("-> 200")[1],
    ]
