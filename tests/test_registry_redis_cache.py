"""The shared registry cache in a real redis-server: one listing per image repository for
every worker, a dead holder's lock expires, and a Redis outage falls back to the disk cache."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from automator.errors import ConfigError, RegistryError, scrub
from automator.registry.cache import LISTING_ELSEWHERE, RegistryCache
from automator.registry.redis_cache import RedisCache, check_cache_url

REPO = "registry.example.com/acme/app"


def worker_cache(server, **options) -> RedisCache:
    """One worker's view of the shared cache (a separate client, as another process has)."""
    options.setdefault("lock_seconds", 5)
    options.setdefault("poll_seconds", 0.01)
    return RedisCache(server.url, **options)


def test_a_listing_stored_by_one_worker_is_read_by_another(redis_server):
    first, second = worker_cache(redis_server), worker_cache(redis_server)
    assert first.get_tags(REPO) is None  # a miss: the first worker lists...
    first.put_tags(REPO, ["1.0.0", "1.1.0"])
    assert second.get_tags(REPO) == ["1.0.0", "1.1.0"]  # ...and the second does not


def test_workers_that_miss_together_list_once(redis_server):
    listings = []
    results = {}

    def work(name: str) -> None:
        cache = worker_cache(redis_server)
        tags = cache.get_tags(REPO)
        if tags is None:  # this worker holds the lock: it lists
            listings.append(name)
            time.sleep(0.3)
            tags = ["2.0.0"]
            cache.put_tags(REPO, tags)
        results[name] = tags

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(listings) == 1
    assert results == {f"w{i}": ["2.0.0"] for i in range(6)}


def test_a_claim_never_waits_for_another_workers_listing(redis_server):
    holder, other = worker_cache(redis_server, lock_seconds=60), worker_cache(redis_server, lock_seconds=60)
    assert holder.claim_tags(REPO) is None  # a miss: the holder now lists it
    assert other.claim_tags(REPO) is LISTING_ELSEWHERE  # at once, not after the 60 s lock
    holder.put_tags(REPO, ["1.0.0"])
    assert other.claim_tags(REPO) == ["1.0.0"]


def test_listings_waited_for_together_land_together_and_a_dead_holders_becomes_ours(redis_server):
    holder = worker_cache(redis_server, lock_seconds=60)
    dead = worker_cache(redis_server, lock_seconds=0.5)
    first, second, abandoned = f"{REPO}-1", f"{REPO}-2", f"{REPO}-3"
    assert holder.claim_tags(first) is None and holder.claim_tags(second) is None
    assert dead.claim_tags(abandoned) is None  # then it "dies" without putting
    waiter = worker_cache(redis_server, lock_seconds=60)
    answers = {}
    thread = threading.Thread(target=lambda: answers.update(waiter.wait_tags([first, second, abandoned])))
    thread.start()
    holder.put_tags(first, ["1.0.0"])
    holder.put_tags(second, ["2.0.0"])
    thread.join(30)
    assert answers == {first: ["1.0.0"], second: ["2.0.0"], abandoned: None}  # None: list it here
    assert worker_cache(redis_server).claim_tags(abandoned) is LISTING_ELSEWHERE  # the waiter holds its lock now


def test_the_disk_cache_has_nobody_to_wait_for(tmp_path):
    cache = RegistryCache(tmp_path)
    assert cache.claim_tags(REPO) is None
    assert cache.wait_tags([REPO]) == {REPO: None}
    cache.put_tags(REPO, ["1.0.0"])
    assert cache.claim_tags(REPO) == ["1.0.0"]
    assert cache.wait_tags([REPO]) == {REPO: ["1.0.0"]}


def test_a_dead_holders_lock_expires(redis_server):
    dead = worker_cache(redis_server, lock_seconds=0.5)
    assert dead.get_tags(REPO) is None  # took the lock, then "died" without putting
    survivor = worker_cache(redis_server, lock_seconds=0.5)
    started = time.monotonic()
    assert survivor.get_tags(REPO) is None  # after the expiry the survivor lists itself
    waited = time.monotonic() - started
    assert 0.3 < waited < 10  # it waited for the lock, not for ever


def test_a_failed_listing_lets_the_others_go_at_once(redis_server):
    holder = worker_cache(redis_server, lock_seconds=30)
    assert holder.get_tags(REPO) is None
    holder.abandon_tags(REPO)
    started = time.monotonic()
    assert worker_cache(redis_server, lock_seconds=30).get_tags(REPO) is None
    assert time.monotonic() - started < 10  # far less than the 30 s lock


def test_tag_lists_age_out_after_the_ttl(redis_server):
    cache = worker_cache(redis_server, tag_ttl=0.2)
    cache.get_tags(REPO)
    cache.put_tags(REPO, ["1.0.0"])
    assert cache.get_tags(REPO) == ["1.0.0"]
    time.sleep(0.4)
    assert worker_cache(redis_server).get_tags(REPO) is None


def test_digests_and_build_times_are_shared(redis_server):
    from datetime import datetime, timezone

    first, second = worker_cache(redis_server), worker_cache(redis_server)
    digest = "sha256:" + "a" * 64
    moment = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)
    first.put_digest(REPO, "1.0.0", digest)
    first.put_created(digest, "linux/amd64", moment)
    assert second.get_digest(REPO, "1.0.0") == digest
    assert second.get_created(digest, "linux/amd64") == (True, moment)
    assert second.get_created(digest, "linux/arm64") == (False, None)


def test_redis_stopped_mid_run_falls_back_to_the_disk_cache(redis_server, tmp_path, caplog):
    disk = RegistryCache(tmp_path / "disk")
    cache = worker_cache(redis_server, fallback=disk, socket_timeout=0.5)
    cache.get_tags(REPO)
    cache.put_tags(REPO, ["1.0.0"])  # written to both
    redis_server.stop()
    with caplog.at_level(logging.WARNING, logger="automator.registry"):
        assert cache.get_tags(REPO) == ["1.0.0"]  # from the disk cache
        cache.put_tags("registry.example.com/acme/other", ["3.0.0"])
    assert cache.degraded
    assert disk.get_tags("registry.example.com/acme/other") == ["3.0.0"]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "goes on with the disk cache" in warnings[0]


def test_an_unreachable_redis_never_fails_the_run(tmp_path):
    from local_redis import free_port

    cache = RedisCache(f"redis://127.0.0.1:{free_port()}/0", socket_timeout=0.5)
    assert cache.get_tags(REPO) is None
    cache.put_tags(REPO, ["1.0.0"])
    assert cache.get_digest(REPO, "1.0.0") is None and cache.degraded


def test_the_password_in_the_url_is_a_secret(redis_server):
    url = redis_server.url.replace("redis://", "redis://:hunter2-password@")
    cache = RedisCache(url, socket_timeout=0.5)
    assert "hunter2-password" not in cache.url
    assert "hunter2-password" not in scrub(f"failed to reach {url}")


@pytest.mark.parametrize("url", ["http://127.0.0.1:6379", "redis://", "127.0.0.1:6379"])
def test_cache_urls_other_than_redis_are_refused(url):
    with pytest.raises(ConfigError, match="expected redis://"):
        check_cache_url(url)


# --- with the real registry: several sources (workers) share one listing ---------------------


@pytest.mark.registry
def test_sources_sharing_redis_list_each_repository_once(local_registry, redis_server):
    from concurrent.futures import ThreadPoolExecutor

    from registry_helpers import make_source
    from registry_proxy import RegistryProxy

    for tag in ("1.0.0", "1.1.0"):
        local_registry.push("fleet/shared", tag)
    with RegistryProxy(local_registry.url, latency=0.1) as proxy:
        repository = f"{proxy.url.split('://', 1)[1]}/fleet/shared"

        def worker(_: int):
            source = make_source()
            source.cache = worker_cache(redis_server)
            try:
                return source.list_tags([repository])[repository]
            finally:
                source.close()

        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(worker, range(4)))
        assert all([t.tag for t in answer] == ["1.0.0", "1.1.0"] for answer in answers)
        assert proxy.count(r"/tags/list") == 1


@pytest.mark.registry
def test_a_failed_listing_does_not_hold_the_other_workers(local_registry, redis_server):
    from registry_helpers import make_source
    from registry_proxy import RegistryProxy

    local_registry.push("fleet/refused", "1.0.0")
    with RegistryProxy(local_registry.url) as proxy:
        repository = f"{proxy.url.split('://', 1)[1]}/fleet/refused"
        proxy.add_fault(r"/tags/list", status=404, times=10)
        first = make_source()
        first.cache = worker_cache(redis_server, lock_seconds=30)
        assert isinstance(first.list_tags([repository])[repository], RegistryError)
        started = time.monotonic()
        second = make_source()
        second.cache = worker_cache(redis_server, lock_seconds=30)
        assert isinstance(second.list_tags([repository])[repository], RegistryError)
        assert time.monotonic() - started < 15  # not the 30 s lock of the first worker
        first.close()
        second.close()


@pytest.mark.registry
def test_a_repository_listed_elsewhere_does_not_hold_up_the_others(local_registry, redis_server):
    """A worker slot waiting for another process's listing would hold up a listing of our
    own: with one worker per registry, ours goes first and the other is waited for after."""
    from registry_helpers import make_source
    from registry_proxy import RegistryProxy

    for name in ("fleet/theirs", "fleet/ours"):
        local_registry.push(name, "1.0.0")
    with RegistryProxy(local_registry.url) as proxy:
        host = proxy.url.split("://", 1)[1]
        theirs, ours = f"{host}/fleet/theirs", f"{host}/fleet/ours"
        other_process = worker_cache(redis_server, lock_seconds=60)
        assert other_process.get_tags(theirs) is None  # the other process is listing it now
        source = make_source(concurrency=1)
        source.cache = worker_cache(redis_server, lock_seconds=60)
        answers = {}
        worker = threading.Thread(target=lambda: answers.update(source.list_tags([theirs, ours])))
        worker.start()
        deadline = time.monotonic() + 30
        while other_process.client.get(f"automator:v1:tags:{ours}") is None:  # ours is listed meanwhile
            assert time.monotonic() < deadline, "our repository waited for the other process's listing"
            time.sleep(0.02)
        assert worker.is_alive()  # still waiting for theirs
        other_process.put_tags(theirs, ["2.0.0"])
        worker.join(30)
        source.close()
        assert [t.tag for t in answers[theirs]] == ["2.0.0"]  # their listing, not a second one
        assert [t.tag for t in answers[ours]] == ["1.0.0"]
        assert proxy.count(r"/tags/list") == 1


def test_a_closed_source_leaves_no_connection_to_redis_open(redis_server):
    """A loop or ``serve`` makes a tag source, and so a cache client, per run: closing the
    source disconnects it, not the next garbage collection (which may be far off)."""
    import gc

    import redis
    from registry_helpers import make_source

    observer = redis.Redis.from_url(redis_server.url)
    before = observer.info("clients")["connected_clients"]
    gc.disable()  # what a collection would happen to clean up is not what this is about
    try:
        for _ in range(5):
            source = make_source()
            source.cache = worker_cache(redis_server)
            source.cache.get_tags(REPO)  # one connection made
            source.close()
        assert observer.info("clients")["connected_clients"] == before
    finally:
        gc.enable()
        observer.close()
