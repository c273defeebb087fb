"""The disk cache stays bounded while tags come and go, with the real registry behind it.

A repository whose CI pushes ``main-NNN`` tags and deletes the old ones must not leave one cache
file per tag it ever had: a tag list or digest read after its TTL is deleted there and then, none
is written when ``AUTOMATOR_CACHE_TTL=0`` (it could never be read), and opening the cache sweeps
it at most once an hour: tag lists and digests older than the TTL go, build times not read for
30 days go, build times still read stay however old they are.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import requests
from registry_proxy import RegistryProxy

from automator.context import Context
from automator.registry import RegistryCache, RegistryTagSource
from automator.registry.cache_sweep import sweep

ROOT = Path(__file__).resolve().parent.parent
HOUR = 3600.0
DAY = 86400.0

pytestmark = pytest.mark.registry


def files(cache_dir: Path, kind: str) -> list[Path]:
    return sorted((cache_dir / "v1" / kind).glob("*.json"))


def push_round(registry, repository: str, round_: int, previous: list[str]) -> list[str]:
    """Push five ``main-<round>-<i>`` tags and delete the tags of the previous round."""
    digests = [registry.push(repository, f"main-{round_:03d}-{i}", created=f"2024-06-{round_ + 1:02d}T00:0{i}:00Z")
               for i in range(5)]
    for digest in previous:
        requests.delete(f"{registry.url}/v2/{repository}/manifests/{digest}", timeout=10).raise_for_status()
    return digests


class Clock:
    """The wall clock, moved forward by the test: time passing without waiting for it."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


def read_everything(proxy: RegistryProxy, repository: str, cache: RegistryCache) -> dict:
    """What a run with a ``glob:main-*`` policy reads: the tag list, then every tag's build time."""
    name = f"{proxy.host}/{repository}"
    with RegistryTagSource(Context(), cache=cache) as source:
        tags = [t.tag for t in source.list_tags([name])[name]]
        return {tag: info.created for tag, info in source.metadata(name, tags).items()}


def scan(tree: Path, *args: str, environ: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "automator", "scan", str(tree), "--json", *args],
                          env={**os.environ, "PYTHONPATH": str(ROOT), **environ},
                          capture_output=True, text=True, timeout=120)


def test_a_zero_ttl_scan_writes_no_tag_list_or_digest_however_many_tags_come_and_go(local_registry, tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "app.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\n  annotations:\n"
        "    fluxcd.io/automated: 'true'\n    fluxcd.io/tag.app: glob:main-*\nspec:\n  template:\n"
        "    spec:\n      containers:\n"
        f"        - name: app\n          image: {local_registry.host}/bounded/zero:main-000-0\n")
    cache = tmp_path / "cache"
    previous: list[str] = []
    for round_ in range(3):
        previous = push_round(local_registry, "bounded/zero", round_, previous)
        done = scan(tree, "--cache-dir", str(cache), environ={"AUTOMATOR_CACHE_TTL": "0"})
        assert done.returncode == 0, done.stderr
        assert [u["to"] for u in json.loads(done.stdout)["updates"]] == [f"main-{round_:03d}-4"]
        assert (files(cache, "tags"), files(cache, "digests")) == ([], [])  # never read back: never written
        assert len(files(cache, "meta")) == 5 * (round_ + 1)  # build times: kept until unused for 30 days


def test_a_tag_list_or_digest_read_after_its_ttl_is_deleted_on_the_spot(local_registry, tmp_path):
    local_registry.push("bounded/stale", "1.0.0", created="2024-06-01T00:00:00Z")
    now = [1_000_000.0]
    cache = RegistryCache(tmp_path, tag_ttl=300, clock=lambda: now[0])
    with RegistryProxy(local_registry.url) as proxy:
        read_everything(proxy, "bounded/stale", cache)
        repository = f"{proxy.host}/bounded/stale"
    assert (len(files(tmp_path, "tags")), len(files(tmp_path, "digests"))) == (1, 1)
    now[0] += 301
    assert cache.get_tags(repository) is None and files(tmp_path, "tags") == []
    assert cache.get_digest(repository, "1.0.0") is None and files(tmp_path, "digests") == []
    assert len(files(tmp_path, "meta")) == 1  # a digest's build time does not age with its tag


def test_a_zero_ttl_run_deletes_what_earlier_runs_with_a_ttl_left(local_registry, tmp_path):
    local_registry.push("bounded/switch", "1.0.0", created="2024-06-01T00:00:00Z")
    with RegistryProxy(local_registry.url) as proxy:
        read_everything(proxy, "bounded/switch", RegistryCache(tmp_path, tag_ttl=300))
        assert (len(files(tmp_path, "tags")), len(files(tmp_path, "digests"))) == (1, 1)
        read_everything(proxy, "bounded/switch", RegistryCache(tmp_path, tag_ttl=0))
        assert proxy.count(r"/tags/list") == 2  # 0 always asks
    assert (files(tmp_path, "tags"), files(tmp_path, "digests")) == ([], [])


def test_the_sweep_deletes_the_entries_of_deleted_tags(local_registry, tmp_path):
    clock = Clock()
    previous: list[str] = []
    with RegistryProxy(local_registry.url) as proxy:
        for round_ in range(4):
            previous = push_round(local_registry, "bounded/churn", round_, previous)
            cache = RegistryCache(tmp_path, tag_ttl=300, clock=clock)  # opening it sweeps when due
            assert len(read_everything(proxy, "bounded/churn", cache)) == 5
            # only this round's tags: the digests of deleted tags went with the sweep
            assert (len(files(tmp_path, "tags")), len(files(tmp_path, "digests"))) == (1, 5)
            clock.offset += 2 * HOUR
        assert len(files(tmp_path, "meta")) == 20  # build times are kept while they may be read
        clock.offset += 31 * DAY
        read_everything(proxy, "bounded/churn", RegistryCache(tmp_path, tag_ttl=300, clock=clock))
    assert len(files(tmp_path, "meta")) == 5  # those of deleted tags are gone after 30 days unread


def test_build_times_still_read_are_kept_however_old(local_registry, tmp_path):
    for tag in ("1.0.0", "1.1.0"):
        local_registry.push("bounded/kept", tag, created="2024-06-01T00:00:00Z" if tag == "1.0.0" else None)
    clock = Clock()
    with RegistryProxy(local_registry.url) as proxy:
        first = read_everything(proxy, "bounded/kept", RegistryCache(tmp_path, clock=clock))
        reads = (proxy.count(r"/manifests/sha256:"), proxy.count(r"/blobs/"))
        assert reads == (2, 2)  # each image's manifest and config, once
        for _ in range(8):  # 80 days of runs every 10 days: every build time is read each time
            clock.offset += 10 * DAY
            assert read_everything(proxy, "bounded/kept", RegistryCache(tmp_path, clock=clock)) == first
        assert (proxy.count(r"/manifests/sha256:"), proxy.count(r"/blobs/")) == reads  # never read again
    assert len(files(tmp_path, "meta")) == 2


def test_a_cache_is_swept_at_most_once_an_hour(tmp_path):
    clock = Clock()
    digest = "sha256:" + "a" * 64
    RegistryCache(tmp_path, tag_ttl=300, clock=clock).put_digest("r.example/app", "1.0.0", digest)
    clock.offset += 600
    RegistryCache(tmp_path, tag_ttl=300, clock=clock).put_digest("r.example/app", "1.0.0", digest)  # swept first
    assert len(files(tmp_path, "digests")) == 1
    clock.offset += 600  # stale again, but the last sweep was ten minutes ago
    RegistryCache(tmp_path, tag_ttl=300, clock=clock)
    assert len(files(tmp_path, "digests")) == 1
    clock.offset += HOUR
    RegistryCache(tmp_path, tag_ttl=300, clock=clock)
    assert files(tmp_path, "digests") == []


def test_a_file_left_half_written_by_a_killed_process_is_swept_after_an_hour(tmp_path):
    clock = Clock()
    RegistryCache(tmp_path, clock=clock).put_tags("r.example/app", ["1.0.0"])
    left = tmp_path / "v1" / "tags" / ".tmp-killed.json"
    left.write_text('{"fetched_at": 1, "ta')
    clock.offset += 2 * HOUR
    RegistryCache(tmp_path, clock=clock)
    assert not left.exists()


WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from automator.registry import RegistryCache
    cache = RegistryCache(Path(sys.argv[1]))
    tags = [f"{sys.argv[2]}-{i}" for i in range(200)]
    for n in range(300):
        cache.put_tags(f"shared.example/app{n % 3}", tags)
        cache.put_digest("shared.example/app", f"t{n % 7}", "sha256:" + sys.argv[2] * 64)
    """
)


def test_deleting_while_other_processes_read_and_write_fails_none_of_them(tmp_path, caplog):
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), name], cwd=ROOT)
                for name in ("a", "b")]
    reader = RegistryCache(tmp_path)
    late = RegistryCache(tmp_path, clock=lambda: time.time() + 600)  # finds every entry stale
    seen = set()
    while any(w.poll() is None for w in writers):
        for n in range(3):
            tags = reader.get_tags(f"shared.example/app{n}")  # a vanished entry is a miss
            if tags is not None:
                assert len(tags) == 200 and len({t.split("-")[0] for t in tags}) == 1
                seen.add(tags[0].split("-")[0])
            late.get_tags(f"shared.example/app{n}")
        reader.get_digest("shared.example/app", "t1")
        sweep(tmp_path / "v1", time.time() + 600, 300)
    assert [w.wait() for w in writers] == [0, 0]
    assert seen
    assert "cannot write the registry cache" not in caplog.text
    assert not list(tmp_path.rglob(".tmp-*"))
