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


def test_the_registries_are_opened_once_when_repositories_first_ask_at_the_same_moment():
    """The fleet's tag source opens the registries on first use; two environment repositories
    asking at once must not open two (the second would list again, and it was never closed:
    a stopping fleet could not abandon its requests)."""
    from automator.tagsource import LazyTagSource

    opened: list[CountingSource] = []

    def open_registries() -> CountingSource:
        time.sleep(0.1)  # opening takes a while: the other repositories arrive meanwhile
        opened.append(CountingSource())
        return opened[-1]

    source = SharedTagSource(LazyTagSource(open_registries))
    start = threading.Barrier(4)

    def ask(repository: str):
        start.wait()
        return source.list_tags([repository])

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(ask, ["ghcr.io/a", "ghcr.io/b", "ghcr.io/c", "ghcr.io/d"]))
    assert len(opened) == 1
    assert sorted(opened[0].listings) == ["ghcr.io/a", "ghcr.io/b", "ghcr.io/c", "ghcr.io/d"]
    assert all(not isinstance(tags, RegistryError) for answer in answers for tags in answer.values())


def test_a_repository_with_no_tags_is_shared_as_its_empty_listing():
    """An empty repository lists fine (no tags): every environment repository reads that answer,
    not an error saying no listing came back."""

    class EmptySource(CountingSource):
        def list_tags(self, repositories):
            self.listings.extend(repositories)
            return {r: () for r in repositories}

    inner = EmptySource()
    shared = SharedTagSource(inner)
    assert shared.list_tags(["a/empty"]) == {"a/empty": ()}
    assert shared.list_tags(["a/empty"]) == {"a/empty": ()}
    assert inner.listings == ["a/empty"]
