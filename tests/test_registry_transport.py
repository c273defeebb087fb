"""Pure pieces of the HTTP layer: Retry-After, rate-limit headers, proxies, loopback."""

import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from automator.context import Context
from automator.registry.transport import (
    bypasses_proxy,
    is_loopback,
    parse_ratelimit_remaining,
    parse_retry_after,
)


def test_retry_after_in_seconds_or_as_a_date():
    assert parse_retry_after("7") == 7.0
    later = datetime.now(timezone.utc) + timedelta(seconds=30)
    assert 25 <= parse_retry_after(format_datetime(later, usegmt=True)) <= 31
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None



@pytest.mark.parametrize("value", ["\u00b2", "\u0663", "-5", "1.5", "Wed, 99 Foo 2015"])
def test_retry_after_that_is_not_ascii_seconds_or_a_date_is_ignored(value):
    assert parse_retry_after(value) is None  # plain backoff then, never a crash


def test_retry_after_date_without_a_zone_is_read_as_utc(monkeypatch):
    monkeypatch.setenv("TZ", "America/New_York")  # a machine whose local time is not UTC
    time.tzset()
    later = (datetime.now(timezone.utc) + timedelta(seconds=30)).strftime("%a, %d %b %Y %H:%M:%S -0000")
    try:
        assert 25 <= parse_retry_after(later) <= 31
    finally:
        monkeypatch.undo()
        time.tzset()

@pytest.mark.parametrize(("value", "expected"), [("76;w=21600", 76), ("0", 0), (" 12 ", 12), ("", None), ("x", None)])
def test_ratelimit_remaining(value, expected):
    assert parse_ratelimit_remaining(value) == expected


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.1.2.3", True), ("localhost", True), ("[::1]", True), ("registry.localhost", True),
     ("10.0.0.1", False), ("registry.example", False), ("127.example.com", False)],
)
def test_loopback_hosts(host, loopback):
    assert is_loopback(host) is loopback


@pytest.mark.parametrize(
    ("host", "no_proxy", "bypass"),
    [("registry.corp", ".corp", True), ("registry.corp", "registry.corp", True), ("ghcr.io", "corp", False),
     ("ghcr.io", "*", True), ("127.0.0.1", "", True), ("sub.ghcr.io", "ghcr.io", True)],
)
def test_no_proxy(host, no_proxy, bypass):
    assert bypasses_proxy(host, no_proxy) is bypass


def test_proxies_come_from_the_context_in_either_case():
    ctx = Context({"https_proxy": "http://proxy:3128", "NO_PROXY": "corp", "HTTP_PROXY": "http://p2:80"})
    assert ctx.proxies == {"https": "http://proxy:3128", "http": "http://p2:80", "no": "corp"}


def test_requests_go_through_the_proxy_named_in_the_context(local_registry):
    from registry_proxy import RegistryProxy

    from automator.registry import RegistryTagSource

    local_registry.push("proxied/app", "1.0.0", created="2024-01-01T00:00:00Z")
    with RegistryProxy(local_registry.url) as proxy:
        ctx = Context({"HTTP_PROXY": proxy.url, "NO_PROXY": "other.example"})
        repo = "registry.test:5000/proxied/app"  # not loopback: plain HTTP only because it is named
        with RegistryTagSource(ctx, insecure_registries=["registry.test:5000"]) as source:
            result = source.list_tags([repo])[repo]
        assert [t.tag for t in result] == ["1.0.0"]
        assert [(s.method, s.path) for s in proxy.seen] == [("GET", "/v2/proxied/app/tags/list?n=1000")]
