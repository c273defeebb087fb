"""One tag listing per image repository for every environment repository of a process.

Environment repositories run side by side (``--parallel-repos``) and share images: the first
one to need a repository's tags lists it, the others wait for that listing (Go's singleflight),
and everyone reads the same answer for the rest of the run. Metadata (build time, digest) of a
tag is shared the same way.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future

from automator.errors import AutomatorError
from automator.model import TagInfo
from automator.tagsource import TagSource


class SharedTagSource:
    """A thread-safe :class:`TagSource` over ``inner`` that asks ``inner`` once per key."""

    def __init__(self, inner: TagSource) -> None:
        self.inner = inner
        self._lock = threading.Lock()
        self._lists: dict[str, Future] = {}
        self._metadata: dict[tuple[str, str], Future] = {}
        self.listed: list[str] = []  # repositories asked of ``inner``, in order (for reports, tests)

    def _claim(self, table: dict, keys: Iterable) -> tuple[list, dict]:
        """The keys this caller must fetch, and the futures of every key."""
        mine, futures = [], {}
        with self._lock:
            for key in dict.fromkeys(keys):
                future = table.get(key)
                if future is None:
                    future = table[key] = Future()
                    mine.append(key)
                futures[key] = future
        return mine, futures

    def list_tags(self, repositories: Iterable[str]) -> Mapping[str, Sequence[TagInfo] | AutomatorError]:
        mine, futures = self._claim(self._lists, repositories)
        if mine:
            self.listed.extend(mine)
            try:
                found = self.inner.list_tags(mine)
            except BaseException as error:
                for key in mine:
                    futures[key].set_exception(error)
                raise
            for key in mine:  # an empty listing (a repository without tags) is an answer too
                listed = found.get(key)
                futures[key].set_result(listed if listed is not None else AutomatorError(f"{key}: no listing came back"))
        return {key: future.result() for key, future in futures.items()}

    def metadata(self, repository: str, tags: Sequence[str]) -> Mapping[str, TagInfo | AutomatorError]:
        mine, futures = self._claim(self._metadata, ((repository, tag) for tag in tags))
        if mine:
            try:
                found = self.inner.metadata(repository, [tag for _, tag in mine])
            except BaseException as error:
                for key in mine:
                    futures[key].set_exception(error)
                raise
            for key in mine:
                futures[key].set_result(found.get(key[1]) or AutomatorError(f"{repository}:{key[1]}: no metadata came back"))
        return {tag: future.result() for (_, tag), future in futures.items()}

    def platform_digest(self, repository: str, tag: str, platform: str) -> str:
        lookup = getattr(self.inner, "platform_digest", None)
        if lookup is None:
            raise AttributeError("platform_digest")
        return lookup(repository, tag, platform)

    def cancel(self) -> None:
        """Abandon the listings in flight (a stopping fleet): their waiters get errors at once."""
        cancel = getattr(self.inner, "cancel", None)
        if cancel is not None:
            cancel()

    def close(self) -> None:
        close = getattr(self.inner, "close", None)
        if close is not None:
            close()
