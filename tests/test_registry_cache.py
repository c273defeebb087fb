"""The disk cache: warm runs make no tag-list requests, metadata per digest is kept forever."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from registry_helpers import make_source
from registry_proxy import RegistryProxy

from automator.context import Context
from automator.registry import RegistryCache, RegistryTagSource


@pytest.fixture(scope="module")
def pushed(local_registry):
    for tag in ("1.0.0", "1.1.0"):
        local_registry.push("cache/app", tag, created="2024-06-01T00:00:00Z")
    return local_registry


@pytest.fixture
def proxy(pushed):
    with RegistryProxy(pushed.url) as proxy:
        yield proxy


def _run(proxy, cache: RegistryCache | None, tags_for_metadata=()):
    repo = f"{proxy.host}/cache/app"
    with RegistryTagSource(Context(), cache=cache) as source:
        listed = source.list_tags([repo])[repo]
        meta = source.metadata(repo, list(tags_for_metadata)) if tags_for_metadata else {}
    return [t.tag for t in listed], meta


def test_a_warm_cache_makes_no_tag_list_requests(proxy, tmp_path):
    cold = _run(proxy, RegistryCache(tmp_path))
    assert proxy.count(r"/tags/list") == 1
    warm = _run(proxy, RegistryCache(tmp_path))
    assert warm == cold == (["1.0.0", "1.1.0"], {})
    assert proxy.count(r"/tags/list") == 1


def test_tag_lists_expire_after_their_ttl(proxy, tmp_path):
    now = [1_000_000.0]
    cache = RegistryCache(tmp_path, tag_ttl=300, clock=lambda: now[0])
    _run(proxy, cache)
    now[0] += 299
    _run(proxy, cache)
    assert proxy.count(r"/tags/list") == 1
    now[0] += 2
    _run(proxy, cache)
    assert proxy.count(r"/tags/list") == 2


def test_a_warm_cache_repeats_no_metadata_request_within_the_ttl(proxy, tmp_path):
    now = [1_000_000.0]
    cache = RegistryCache(tmp_path, tag_ttl=300, clock=lambda: now[0])
    _, first = _run(proxy, cache, ["1.0.0", "1.1.0"])
    assert (proxy.count(r"/manifests/sha256:"), proxy.count(r"/blobs/")) == (2, 2)
    assert proxy.count(r"/manifests/1\.", method="HEAD") == 2
    _, second = _run(proxy, cache, ["1.0.0", "1.1.0"])
    assert second == first
    assert proxy.count(r"/manifests/1\.", method="HEAD") == 2


def test_after_the_ttl_only_the_head_repeats_as_configs_are_kept_by_digest(proxy, tmp_path):
    now = [1_000_000.0]
    cache = RegistryCache(tmp_path, tag_ttl=300, clock=lambda: now[0])
    _, first = _run(proxy, cache, ["1.0.0", "1.1.0"])
    now[0] += 301  # a tag may have moved since: ask again which digest it points at
    _, second = _run(proxy, cache, ["1.0.0", "1.1.0"])
    assert second == first
    assert proxy.count(r"/manifests/1\.", method="HEAD") == 4
    assert (proxy.count(r"/manifests/sha256:"), proxy.count(r"/blobs/")) == (2, 2)


def test_no_cache_means_every_run_asks(proxy):
    _run(proxy, None)
    _run(proxy, None)
    assert proxy.count(r"/tags/list") == 2


def test_from_options_builds_the_cache_in_the_given_directory(proxy, tmp_path):
    repo = f"{proxy.host}/cache/app"
    for _ in range(2):
        with make_source(cache_dir=tmp_path / "c") as source:
            source.list_tags([repo])
    assert proxy.count(r"/tags/list") == 1
    assert list((tmp_path / "c").rglob("*.json"))


def test_unreadable_entries_are_ignored_and_rewritten(proxy, tmp_path):
    _run(proxy, RegistryCache(tmp_path))
    for entry in tmp_path.rglob("*.json"):
        entry.write_text("{half a file")
    assert _run(proxy, RegistryCache(tmp_path))[0] == ["1.0.0", "1.1.0"]
    assert proxy.count(r"/tags/list") == 2
    assert _run(proxy, RegistryCache(tmp_path))[0] == ["1.0.0", "1.1.0"]
    assert proxy.count(r"/tags/list") == 2


def test_an_unwritable_cache_directory_does_not_fail_the_run(proxy, tmp_path, caplog):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    assert _run(proxy, RegistryCache(blocker))[0] == ["1.0.0", "1.1.0"]
    assert "cannot write the registry cache" in caplog.text


WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from automator.registry import RegistryCache
    cache = RegistryCache(Path(sys.argv[1]))
    tags = [f"{sys.argv[2]}-{i}" for i in range(200)]
    for _ in range(40):
        cache.put_tags("shared.example/app", tags)
    """
)


def test_concurrent_processes_never_see_half_written_entries(tmp_path):
    root = Path(__file__).resolve().parent.parent
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), name], cwd=root)
        for name in ("a", "b")
    ]
    cache = RegistryCache(tmp_path)
    seen = set()
    while any(w.poll() is None for w in writers):
        tags = cache.get_tags("shared.example/app")
        if tags is not None:
            assert len(tags) == 200 and len({t.split("-")[0] for t in tags}) == 1
            seen.add(tags[0].split("-")[0])
        time.sleep(0.002)
    assert [w.wait() for w in writers] == [0, 0]
    assert seen  # the reader did see complete entries while writers raced
    assert not list(tmp_path.rglob(".tmp-*"))


@pytest.mark.parametrize(("environ", "ttl"), [({}, 300.0), ({"AUTOMATOR_CACHE_TTL": "60"}, 60.0),
                                              ({"AUTOMATOR_CACHE_TTL": "15m"}, 900.0)])
def test_the_tag_list_ttl_comes_from_the_environment_or_defaults_to_five_minutes(tmp_path, environ, ttl):
    with RegistryTagSource.from_options(Context(environ), cache_dir=tmp_path) as source:
        assert source.cache.tag_ttl == ttl
