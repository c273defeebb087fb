"""The shared cache in a real redis-server meets values it did not write and URLs it cannot use.

A value under one of our keys that does not read back (a corrupted or foreign value, or one from
an older format) is a miss, exactly as an unreadable file is for the disk cache: it never fails
an image, and a miss of a tag list still goes through the listing lock (single-flight)."""

from __future__ import annotations

import threading

import pytest

from automator.errors import ConfigError
from automator.registry.cache import LISTING_ELSEWHERE
from automator.registry.redis_cache import RedisCache, check_cache_url

REPO = "registry.example.com/acme/app"
DIGEST = "sha256:" + "a" * 64

UNREADABLE = {
    "not utf-8": b"\xff\xfe\x00garbage",
    "not json": b"not json",
    "a json string": b'"1.0.0"',
    "the disk cache's format": b'{"fetched_at": 1, "tags": ["1.0.0"], "key": "x"}',
}


def worker_cache(server, **options) -> RedisCache:
    options.setdefault("lock_seconds", 60)
    options.setdefault("poll_seconds", 0.01)
    return RedisCache(server.url, **options)


@pytest.mark.parametrize("value", UNREADABLE.values(), ids=UNREADABLE.keys())
def test_an_unreadable_tag_list_is_a_miss_listed_by_one_worker_only(redis_server, value):
    first, second = worker_cache(redis_server), worker_cache(redis_server)
    first.client.set(first._key("tags", REPO), value)
    assert first.claim_tags(REPO) is None  # a miss: the first worker takes the lock and lists...
    assert second.claim_tags(REPO) is LISTING_ELSEWHERE  # ...the second waits for it
    answers = {}
    waiter = threading.Thread(target=lambda: answers.update(second.wait_tags([REPO])))
    waiter.start()
    first.put_tags(REPO, ["1.0.0", "1.1.0"])
    waiter.join(30)
    assert answers == {REPO: ["1.0.0", "1.1.0"]}  # the first worker's listing, not its own
    assert not first.degraded and not second.degraded


@pytest.mark.parametrize("value", [b"\xff\xfe", b"not a digest", b""], ids=["not utf-8", "not a digest", "empty"])
def test_an_unreadable_digest_is_a_miss(redis_server, value):
    cache = worker_cache(redis_server)
    cache.client.set(cache._key("digest", f"{REPO}:1.0.0"), value)
    assert cache.get_digest(REPO, "1.0.0") is None  # read again from the registry
    cache.put_digest(REPO, "1.0.0", DIGEST)
    assert cache.get_digest(REPO, "1.0.0") == DIGEST and not cache.degraded


@pytest.mark.parametrize("value", [b"\xff\xfe", b"not json", b'"2026-11-30T12:00:00Z"', b"[1, 2]"],
                         ids=["not utf-8", "not json", "a json string", "a json list"])
def test_an_unreadable_build_time_is_a_miss(redis_server, value):
    cache = worker_cache(redis_server)
    cache.client.set(cache._key("meta", f"{DIGEST} linux/amd64"), value)
    assert cache.get_created(DIGEST, "linux/amd64") == (False, None)  # read again from the registry
    assert not cache.degraded


@pytest.mark.parametrize("url", [
    "redis://:hunter2-password@127.0.0.1:abc/0",     # a port that is not a number
    "redis://:hunter2-password@127.0.0.1:99999/0",   # a port out of range
    "rediss://:hunter2-password@redis:6379/zero",    # a database that is not a number
    "redis://:hunter2-password@[::1:6379/0",        # an IPv6 address without its closing bracket
])
def test_a_cache_url_redis_cannot_use_is_a_usage_error_without_its_password(url):
    """Refused when the options are read (exit 2), not an internal error when the registries open."""
    with pytest.raises(ConfigError, match="expected redis://") as refused:
        check_cache_url(url)
    assert "hunter2-password" not in str(refused.value)


@pytest.mark.parametrize(("query", "says"), [
    ("socket_timeout=abc", "Invalid value for 'socket_timeout'"),
    ("db=zz", "Invalid value for 'db'"),
    ("foo=bar", "unknown option 'foo' in the query"),
])
def test_a_query_the_redis_client_would_refuse_later_is_a_usage_error_now(query, says):
    """The client refuses these at its first command: an internal error deep in the run."""
    with pytest.raises(ConfigError, match=says) as refused:
        check_cache_url(f"redis://:hunter2-password@127.0.0.1:6379/0?{query}")
    assert "hunter2-password" not in str(refused.value)


def test_query_options_of_the_redis_client_are_taken():
    assert check_cache_url("rediss://redis:6379/0?socket_timeout=5&ssl_cert_reqs=none") == "rediss://redis:6379/0?socket_timeout=5&ssl_cert_reqs=none"


@pytest.mark.parametrize("ttl", [float("inf"), 1e300], ids=["inf", "1e300"])
def test_a_tag_ttl_beyond_what_redis_can_count_keeps_entries_like_the_disk_cache(redis_server, ttl):
    """``AUTOMATOR_CACHE_TTL=inf`` keeps the disk cache's tag lists for ever; in Redis too,
    rather than failing the listing or giving up the shared cache."""
    cache = worker_cache(redis_server, tag_ttl=ttl)
    assert cache.claim_tags(REPO) is None
    cache.put_tags(REPO, ["1.0.0"])
    cache.put_digest(REPO, "1.0.0", DIGEST)
    other = worker_cache(redis_server, tag_ttl=ttl)
    assert other.claim_tags(REPO) == ["1.0.0"] and other.get_digest(REPO, "1.0.0") == DIGEST
    assert not cache.degraded and not other.degraded
    assert cache.client.pttl(cache._key("tags", REPO)) == -1  # no expiry
