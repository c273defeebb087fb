"""Where tags come from: a registry (``automator.registry``) or a file (``--tags-from``).

Both implement :class:`TagSource`. The pipeline asks for the tags of each distinct repository
once, and for metadata (build time, digest) only for the few candidates a policy needs.
Repository keys are normalised identities (``docker.io/library/nginx``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Protocol

from automator.context import Context
from automator.errors import AutomatorError
from automator.model import TagInfo
from automator.values import value_type


class TagSource(Protocol):
    def list_tags(self, repositories: Iterable[str]) -> Mapping[str, Sequence[TagInfo] | AutomatorError]:
        """Tags of each repository, or the error that stopped its listing (never raised)."""
        ...

    def metadata(self, repository: str, tags: Sequence[str]) -> Mapping[str, TagInfo | AutomatorError]:
        """Build time and digest of the given tags of one repository."""
        ...


@value_type
class SourceSettings:
    """Where a run reads tags: ``tags_file`` (offline), else the registries with these settings.

    ``cache_dir`` None disables the registry cache; ``timeout`` is the total deadline of one
    registry exchange in seconds (``--registry-timeout``); a repository with more than
    ``max_tags`` tags is an error (``--max-tags``)."""

    tags_file: Path | None = None
    cache_dir: Path | None = None
    insecure_registries: tuple[str, ...] = ()
    platform: str = "linux/amd64"
    concurrency: int = 8
    cache_url: str | None = None  # a shared cache in Redis (redis:// or rediss://), beside the disk cache
    max_metadata: int | None = None  # tags whose metadata one run reads per registry (None: the default)
    timeout: float = 30.0
    max_tags: int = 100_000


def open_tag_source(settings: SourceSettings, ctx: Context) -> TagSource:
    """The tag source the settings name: the tags file is read now, once (its errors are usage
    errors before any work); the registries are opened when the run first asks them something."""
    if settings.tags_file is not None:
        from automator.tagfile import FileTagSource

        return FileTagSource.load(settings.tags_file)
    return LazyTagSource(lambda: _open_registries(settings, ctx))


def _open_registries(settings: SourceSettings, ctx: Context) -> TagSource:
    from automator.registry import RegistrySettings, RegistryTagSource

    registry = RegistrySettings(timeout=settings.timeout, max_tags=settings.max_tags,
                                concurrency=settings.concurrency, platform=settings.platform,
                                insecure_registries=settings.insecure_registries,
                                **({"max_metadata": settings.max_metadata} if settings.max_metadata is not None else {}))
    source = RegistryTagSource.from_settings(ctx, registry, cache_dir=settings.cache_dir)
    if settings.cache_url:
        from automator.registry.cache import DEFAULT_TAG_TTL
        from automator.registry.redis_cache import RedisCache

        disk = source.cache
        ttl = disk.tag_ttl if disk is not None else (ctx.cache_ttl if ctx.cache_ttl is not None else DEFAULT_TAG_TTL)
        source.cache = RedisCache(settings.cache_url, tag_ttl=ttl, fallback=disk, password=ctx.get("REDIS_PASSWORD"))
    return source


class LazyTagSource:
    """A :class:`TagSource` that opens the real one on first use, so a run that asks nothing of
    the registries (no automated image, or an event-driven run with policies that need no build
    time) does not even load the registry client."""

    progress: Callable[[str], None] | None = None  # handed on to the registries when they open

    def __init__(self, open_source: Callable[[], TagSource]) -> None:
        self._open = open_source
        self._source: TagSource | None = None
        self._opening = threading.Lock()  # the repositories of a fleet ask from several threads

    @property
    def opened(self) -> bool:
        return self._source is not None

    def _real(self) -> TagSource:
        if self._source is None:
            with self._opening:  # one source: a second would list again, and nothing would close it
                if self._source is None:
                    self._source = self._open()
        if self.progress is not None and hasattr(self._source, "progress"):
            self._source.progress = self.progress  # type: ignore[attr-defined]
        return self._source

    def list_tags(self, repositories: Iterable[str]) -> Mapping[str, Sequence[TagInfo] | AutomatorError]:
        return self._real().list_tags(repositories)

    def metadata(self, repository: str, tags: Sequence[str]) -> Mapping[str, TagInfo | AutomatorError]:
        return self._real().metadata(repository, tags)

    def platform_digest(self, repository: str, tag: str, platform: str) -> str:
        return self._real().platform_digest(repository, tag, platform)  # type: ignore[attr-defined]

    def cancel(self) -> None:
        cancel = getattr(self._source, "cancel", None)
        if cancel is not None:
            cancel()

    def close(self) -> None:
        close = getattr(self._source, "close", None)
        if close is not None:
            close()
