"""Environment repositories running side by side share one listing per image repository."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from automator.errors import RegistryError
from automator.fleet.shared import SharedTagSource
from automator.model import TagInfo


class CountingSource:
    def __init__(self) -> None:
        self.listings: list[str] = []
        self.metadata_asked: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def list_tags(self, repositories):
        time.sleep(0.05)  # long enough for the other threads to arrive meanwhile
        with self.lock:
            self.listings.extend(repositories)
        return {r: (TagInfo("1.0.0"),) if "bad" not in r else RegistryError(f"{r}: refused") for r in repositories}

    def metadata(self, repository, tags):
        with self.lock:
            self.metadata_asked.extend((repository, t) for t in tags)
        return {t: TagInfo(t, digest="sha256:" + "0" * 64) for t in tags}


def test_each_repository_is_listed_once_however_many_ask_at_once():
    inner = CountingSource()
    shared = SharedTagSource(inner)
    wanted = [["a/x", "a/y"], ["a/y", "a/z"], ["a/x", "a/z"], ["a/x"]] * 5
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(shared.list_tags, wanted))
    assert sorted(inner.listings) == ["a/x", "a/y", "a/z"]
    assert all(answer[r] == (TagInfo("1.0.0"),) for answer, asked in zip(answers, wanted, strict=True) for r in asked)


def test_a_failed_listing_is_shared_as_the_same_error():
    inner = CountingSource()
    shared = SharedTagSource(inner)
    first = shared.list_tags(["a/bad"])["a/bad"]
    second = shared.list_tags(["a/bad"])["a/bad"]
    assert isinstance(first, RegistryError) and first is second
    assert inner.listings == ["a/bad"]


def test_metadata_of_a_tag_is_read_once():
    inner = CountingSource()
    shared = SharedTagSource(inner)
    shared.metadata("a/x", ["1.0.0", "1.1.0"])
    shared.metadata("a/x", ["1.1.0", "1.2.0"])
    assert inner.metadata_asked == [("a/x", "1.0.0"), ("a/x", "1.1.0"), ("a/x", "1.2.0")]
