"""The values of choosing a tag: a tag as listed, a policy as written, and the choice made.

:class:`TagInfo` comes from the registry stage (or ``automator select``'s arguments),
:class:`PolicySpec` from a manifest, a rule or the command line, and :class:`Selection` is
what a policy returns. They are re-exported by :mod:`automator.model` with the other values
of the pipeline; they live here, as hand-written frozen classes (:mod:`automator.frozen`), so
that ``automator select`` starts without generating the pipeline's dataclasses.
"""

from __future__ import annotations

from automator.frozen import Frozen, set_field

TYPE_CHECKING = False
if TYPE_CHECKING:
    from datetime import datetime


class TagInfo(Frozen):
    """One tag of a repository, with metadata when the registry stage fetched it."""

    __slots__ = ("tag", "created", "digest")
    tag: str
    created: datetime | None
    digest: str | None

    def __init__(self, tag: str, created: datetime | None = None, digest: str | None = None) -> None:
        set_field(self, "tag", tag)
        set_field(self, "created", created)
        set_field(self, "digest", digest)


class PolicySpec(Frozen):
    """A tag policy as the user wrote it, plus where it was written (for error messages).

    ``exclude``: regexes; a tag matching one is never a candidate (Flux ``exclusionList``,
    Argo CD Image Updater ``ignore-tags``). ``strict_versions``: ``semver`` reads tags as Flux
    v2 does (``X.Y.Z`` with an optional ``v``), not loosely. ``digest_reflection``: Flux's
    ``digestReflectionPolicy`` (``Never``, ``IfNotPresent``, ``Always``; '' when not given).
    """

    __slots__ = ("spec", "filter", "extract", "source", "line", "exclude", "strict_versions", "digest_reflection")
    spec: str
    filter: str | None
    extract: str | None
    source: str | None
    line: int | None
    exclude: tuple[str, ...]
    strict_versions: bool
    digest_reflection: str

    def __init__(
        self,
        spec: str,
        filter: str | None = None,  # noqa: A002 (Flux's name for it)
        extract: str | None = None,
        source: str | None = None,
        line: int | None = None,
        exclude: tuple[str, ...] = (),
        strict_versions: bool = False,
        digest_reflection: str = "",
    ) -> None:
        set_field(self, "spec", spec)
        set_field(self, "filter", filter)
        set_field(self, "extract", extract)
        set_field(self, "source", source)
        set_field(self, "line", line)
        set_field(self, "exclude", exclude)
        set_field(self, "strict_versions", strict_versions)
        set_field(self, "digest_reflection", digest_reflection)


class Selection(Frozen):
    """The outcome of applying a policy to a tag list: the chosen tag (or None) and why.

    ``excluded`` keeps the first (tag, why) pairs only (a bounded sample for explanations);
    ``excluded_count`` counts every tag that did not qualify.
    """

    __slots__ = ("chosen", "reason", "considered", "excluded", "excluded_count")
    chosen: str | None
    reason: str
    considered: int
    excluded: tuple[tuple[str, str], ...]
    excluded_count: int

    def __init__(
        self,
        chosen: str | None,
        reason: str,
        considered: int = 0,
        excluded: tuple[tuple[str, str], ...] = (),
        excluded_count: int = 0,
    ) -> None:
        set_field(self, "chosen", chosen)
        set_field(self, "reason", reason)
        set_field(self, "considered", considered)
        set_field(self, "excluded", excluded)
        set_field(self, "excluded_count", excluded_count)
