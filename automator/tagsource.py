"""Where tags come from: a registry (``automator.registry``) or a file (``--tags-from``).

Both implement :class:`TagSource`. The pipeline asks for the tags of each distinct repository
once, and for metadata (build time, digest) only for the few candidates a policy needs.
Repository keys are normalised identities (``docker.io/library/nginx``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from automator.context import Context
from automator.errors import AutomatorError
from automator.model import TagInfo


class TagSource(Protocol):
    def list_tags(self, repositories: Iterable[str]) -> Mapping[str, Sequence[TagInfo] | AutomatorError]:
        """Tags of each repository, or the error that stopped its listing (never raised)."""
        ...

    def metadata(self, repository: str, tags: Sequence[str]) -> Mapping[str, TagInfo | AutomatorError]:
        """Build time and digest of the given tags of one repository."""
        ...


@dataclass(frozen=True)
class SourceSettings:
    """Where a run reads tags: ``tags_file`` (offline), else the registries with these settings.

    ``cache_dir`` None disables the registry cache."""

    tags_file: Path | None = None
    cache_dir: Path | None = None
    insecure_registries: tuple[str, ...] = ()
    platform: str = "linux/amd64"
    concurrency: int = 8


def open_tag_source(settings: SourceSettings, ctx: Context) -> TagSource:
    """The tag source the settings name (reading the tags file now, once)."""
    if settings.tags_file is not None:
        from automator.tagfile import FileTagSource

        return FileTagSource.load(settings.tags_file)
    from automator.registry import RegistryTagSource

    return RegistryTagSource.from_options(
        ctx,
        cache_dir=settings.cache_dir,
        insecure_registries=settings.insecure_registries,
        platform=settings.platform,
        concurrency=settings.concurrency,
    )
