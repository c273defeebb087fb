"""The shared cache in a real redis-server meets keys it did not write: a lock that never
expires, and values of another Redis type under its keys.

* A key under a listing lock's name without an expiry (a manual ``SET``, an older tool, a
  ``PERSIST``, a restored dump) would never go away, and every waiter of every run would wait
  the full lock time + 5 s for it. The first worker that finds it taken gives it the lock time
  (in the same round trip as its claim), so it holds up one lock time, once. A live lock, which
  has an expiry, is never touched.
* A key of another type (a hash, a list, a set) under a tag list, digest or build time key is a
  miss for that key only, as an unreadable value is: no warning, and the rest of the run keeps
  the shared cache. The next put (a plain ``SET``) replaces it with a readable value. Any other
  error from Redis still sends the run to the local cache, as an outage does."""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timezone

import pytest
import redis

from automator.registry.cache import LISTING_ELSEWHERE, RegistryCache
from automator.registry.redis_cache import RedisCache

REPO = "registry.example.com/acme/app"
DIGEST = "sha256:" + "a" * 64
PLATFORM = "linux/amd64"

OTHER_TYPES = {
    "a hash": lambda client, key: client.hset(key, "tags", '["1.0.0"]'),
    "a list": lambda client, key: client.rpush(key, "1.0.0"),
    "a set": lambda client, key: client.sadd(key, "1.0.0"),
}


def worker_cache(server, **options) -> RedisCache:
    """One worker's view of the shared cache (a separate client, as another process has)."""
    options.setdefault("lock_seconds", 60)
    options.setdefault("poll_seconds", 0.01)
    return RedisCache(server.url, **options)


class PollClock:
    """A clock for ``RedisCache(clock=...)`` that moves one poll forward each time it is read:
    a waiter's deadline (lock time + 5 s) is then a number of polls, whatever the machine's speed."""

    def __init__(self, poll_seconds: float) -> None:
        self.poll_seconds = poll_seconds
        self.reads = 0

    def __call__(self) -> float:
        self.reads += 1
        return self.reads * self.poll_seconds


def warnings_in(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


# --- a lock key without an expiry --------------------------------------------------------------


def test_a_lock_left_without_an_expiry_is_given_the_lock_time_by_the_first_claim(redis_server):
    cache = worker_cache(redis_server, lock_seconds=0.5)
    lock = cache._key("lock:tags", REPO)
    cache.client.set(lock, "left by hand")  # no expiry: it would never go away
    assert cache.claim_tags(REPO) is LISTING_ELSEWHERE  # it may be somebody's listing: not taken...
    assert 0 < cache.client.pttl(lock) <= 500  # ...but it now expires within one lock time
    assert cache.client.get(lock) == b"left by hand"


def test_a_waiter_takes_over_a_lock_left_without_an_expiry_instead_of_waiting_out_its_deadline(redis_server, caplog):
    waiter = worker_cache(redis_server, lock_seconds=0.5, clock=PollClock(0.01))
    lock = waiter._key("lock:tags", REPO)
    waiter.client.set(lock, "left by hand")
    with caplog.at_level(logging.DEBUG, logger="automator.registry"):
        assert waiter.get_tags(REPO) is None  # None: this worker lists the repository...
    assert not [m for m in caplog.messages if m.startswith("waited ")]  # ...holding the lock, not giving up at its deadline
    waiter.put_tags(REPO, ["1.0.0"])
    assert waiter.client.exists(lock) == 0  # the listing let go of its lock: the key left by hand is gone
    assert worker_cache(redis_server).claim_tags(REPO) == ["1.0.0"]  # and the next run is not held up


def test_a_live_lock_held_by_another_worker_is_neither_shortened_nor_taken(redis_server):
    holder = worker_cache(redis_server, lock_seconds=60)
    assert holder.claim_tags(REPO) is None  # the holder lists, under a 60 s lock
    lock = holder._key("lock:tags", REPO)
    token = holder.client.get(lock)
    other = worker_cache(redis_server, lock_seconds=0.5)  # a worker with a much shorter lock time
    assert other.claim_tags(REPO) is LISTING_ELSEWHERE
    assert other.client.get(lock) == token  # still the holder's lock...
    assert other.client.pttl(lock) > 50_000  # ...with the holder's expiry


# --- values of another Redis type ---------------------------------------------------------------


@pytest.mark.parametrize("store", OTHER_TYPES.values(), ids=OTHER_TYPES.keys())
def test_a_tag_list_key_of_another_type_is_a_miss_listed_by_one_worker_only(redis_server, caplog, store):
    first, second = worker_cache(redis_server), worker_cache(redis_server)
    key = first._key("tags", REPO)
    store(first.client, key)
    answers = {}
    with caplog.at_level(logging.WARNING, logger="automator.registry"):
        assert first.claim_tags(REPO) is None  # a miss: the first worker takes the lock and lists...
        assert second.claim_tags(REPO) is LISTING_ELSEWHERE  # ...the second waits for it (MGET reads the key as absent)
        waiter = threading.Thread(target=lambda: answers.update(second.wait_tags([REPO])))
        waiter.start()
        first.put_tags(REPO, ["1.0.0", "1.1.0"])  # a plain SET: it replaces a key of any type
        waiter.join(30)
    assert answers == {REPO: ["1.0.0", "1.1.0"]}
    assert first.client.type(key) == b"string"
    assert not first.degraded and not second.degraded and not warnings_in(caplog)


def test_a_lock_replaced_by_a_key_of_another_type_while_held_is_left_alone_on_release(redis_server, caplog):
    """The holder lets go only of its own lock: a hash put under the lock's name meanwhile is
    not ours, and reading it is no failure of the shared cache."""
    cache = worker_cache(redis_server)
    assert cache.get_tags(REPO) is None  # a miss: this worker holds the lock and lists
    lock = cache._key("lock:tags", REPO)
    cache.client.delete(lock)
    cache.client.hset(lock, "owner", "someone else")
    cache.put_tags(REPO, ["1.0.0"])
    assert not cache.degraded and warnings_in(caplog) == []
    assert cache.client.hgetall(lock) == {b"owner": b"someone else"}
    assert worker_cache(redis_server).get_tags(REPO) == ["1.0.0"]


@pytest.mark.parametrize("store", OTHER_TYPES.values(), ids=OTHER_TYPES.keys())
def test_a_digest_key_of_another_type_is_a_miss_the_next_put_repairs(redis_server, caplog, store):
    cache = worker_cache(redis_server)
    store(cache.client, cache._key("digest", f"{REPO}:1.0.0"))
    with caplog.at_level(logging.WARNING, logger="automator.registry"):
        assert cache.get_digest(REPO, "1.0.0") is None  # read again from the registry
        cache.put_digest(REPO, "1.0.0", DIGEST)
    assert worker_cache(redis_server).get_digest(REPO, "1.0.0") == DIGEST
    assert not cache.degraded and not warnings_in(caplog)


@pytest.mark.parametrize("store", OTHER_TYPES.values(), ids=OTHER_TYPES.keys())
def test_a_build_time_key_of_another_type_is_a_miss_the_next_put_repairs(redis_server, caplog, store):
    moment = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)
    cache = worker_cache(redis_server)
    store(cache.client, cache._key("meta", f"{DIGEST} {PLATFORM}"))
    with caplog.at_level(logging.WARNING, logger="automator.registry"):
        assert cache.get_created(DIGEST, PLATFORM) == (False, None)  # read again from the registry
        cache.put_created(DIGEST, PLATFORM, moment)
    assert worker_cache(redis_server).get_created(DIGEST, PLATFORM) == (True, moment)
    assert not cache.degraded and not warnings_in(caplog)


def test_an_error_other_than_a_wrong_type_still_sends_the_run_to_the_disk_cache(redis_server, tmp_path, caplog):
    """Here Redis refuses GET to the cache's user (ACL): not a miss, but a cache that does not work."""
    redis.Redis.from_url(redis_server.url).acl_setuser(
        "no-get", enabled=True, passwords=["+no-get-pw"], keys=["*"], categories=["+@all"], commands=["-get"])
    disk = RegistryCache(tmp_path / "disk")
    disk.put_digest(REPO, "1.0.0", DIGEST)
    url = redis_server.url.replace("redis://", "redis://no-get:no-get-pw@")
    cache = RedisCache(url, fallback=disk, socket_timeout=0.5)
    with caplog.at_level(logging.WARNING, logger="automator.registry"):
        assert cache.get_digest(REPO, "1.0.0") == DIGEST  # from the disk cache
    assert cache.degraded
    warnings = warnings_in(caplog)
    assert len(warnings) == 1 and "NoPermissionError" in warnings[0] and "goes on with the disk cache" in warnings[0]
