"""The shared cache in a real redis-server honours the READING process's tag TTL, as the disk
cache does: an entry is fresh for as long as the reader's ``AUTOMATOR_CACHE_TTL`` says, whatever
TTL the process that wrote it had (``0``: always ask the registry). Redis's own expiry of the key
(the writer's TTL) still removes it from Redis.

An entry in the format before it carried the time it was fetched (a bare JSON list of tags, a
bare digest) cannot be judged fresh: it is a miss, listed again and replaced.
"""

from __future__ import annotations

from automator.registry.redis_cache import RedisCache

REPO = "registry.example.com/acme/app"
DIGEST = "sha256:" + "a" * 64


def worker_cache(server, **options) -> RedisCache:
    """One process's view of the shared cache, with its own tag TTL."""
    options.setdefault("lock_seconds", 5)
    options.setdefault("poll_seconds", 0.01)
    return RedisCache(server.url, **options)


def test_a_reader_with_tag_ttl_0_lists_again_what_a_writer_with_the_default_ttl_stored(redis_server):
    """``AUTOMATOR_CACHE_TTL=0`` means always ask: another run's listing is not taken, while a
    reader with the default TTL still takes it."""
    writer = worker_cache(redis_server)  # the default 300 s
    assert writer.claim_tags(REPO) is None
    writer.put_tags(REPO, ["1.0.0", "1.1.0"])
    assert worker_cache(redis_server).claim_tags(REPO) == ["1.0.0", "1.1.0"]
    assert worker_cache(redis_server, tag_ttl=0).claim_tags(REPO) is None  # a miss: it lists itself


def test_a_tag_list_older_than_the_readers_ttl_is_a_miss(redis_server):
    """Age is measured from when the writer fetched the list, on the wall clock every process shares."""
    now = [1_000_000.0]
    writer = worker_cache(redis_server, tag_ttl=3600, wall_clock=lambda: now[0])
    assert writer.claim_tags(REPO) is None
    writer.put_tags(REPO, ["1.0.0"])
    now[0] += 120  # two minutes later
    assert worker_cache(redis_server, tag_ttl=300, wall_clock=lambda: now[0]).claim_tags(REPO) == ["1.0.0"]
    assert worker_cache(redis_server, tag_ttl=60, wall_clock=lambda: now[0]).claim_tags(REPO) is None


def test_a_digest_ages_with_the_readers_tag_ttl_too(redis_server):
    """A tag's digest moves with the tag, so it is fresh exactly as long as the tag list."""
    writer = worker_cache(redis_server)
    writer.put_digest(REPO, "1.0.0", DIGEST)
    assert worker_cache(redis_server).get_digest(REPO, "1.0.0") == DIGEST
    assert worker_cache(redis_server, tag_ttl=0).get_digest(REPO, "1.0.0") is None


def test_entries_in_the_format_without_a_fetch_time_are_misses(redis_server):
    """A bare JSON list (or a bare digest), as written before entries carried their fetch
    time: its age is unknown, so it is listed again, then replaced by the new format."""
    cache = worker_cache(redis_server)
    cache.client.set(cache._key("tags", REPO), '["0.9.0"]', px=300_000)
    cache.client.set(cache._key("digest", f"{REPO}:0.9.0"), DIGEST, px=300_000)
    assert cache.get_digest(REPO, "0.9.0") is None
    assert cache.claim_tags(REPO) is None  # a miss: this worker holds the lock and lists
    cache.put_tags(REPO, ["0.9.0", "1.0.0"])
    assert worker_cache(redis_server).claim_tags(REPO) == ["0.9.0", "1.0.0"]
