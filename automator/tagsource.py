"""Where tags come from: a registry (``automator.registry``) or a file (``--tags-from``).

Both implement :class:`TagSource`. The pipeline asks for the tags of each distinct repository
once, and for metadata (build time, digest) only for the few candidates a policy needs.
Repository keys are normalised identities (``docker.io/library/nginx``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

from automator.errors import AutomatorError
from automator.model import TagInfo


class TagSource(Protocol):
    def list_tags(self, repositories: Iterable[str]) -> Mapping[str, Sequence[TagInfo] | AutomatorError]:
        """Tags of each repository, or the error that stopped its listing (never raised)."""
        ...

    def metadata(self, repository: str, tags: Sequence[str]) -> Mapping[str, TagInfo | AutomatorError]:
        """Build time and digest of the given tags of one repository."""
        ...
