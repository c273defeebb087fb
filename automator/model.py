"""Value types that flow through the pipeline, one per stage (all small and frozen).

discover/locate -> ImageUse[];  registry -> TagInfo[] per repository;
select -> Selection;  plan -> Update[] + Problem[] (a Plan);  write -> Change (commit / PR).
``TagInfo``, ``PolicySpec`` and ``Selection`` are defined in :mod:`automator.tags` (what
``automator select`` needs, without dataclasses) and exported here with the others.
"""

from __future__ import annotations

from dataclasses import field
from typing import Literal

from automator.imageref import ImageRef
from automator.tags import PolicySpec, Selection, TagInfo
from automator.values import value_type

__all__ = [
    "Change", "FieldKind", "ImageUse", "Plan", "PolicySpec", "Problem", "Selection", "Severity", "Span", "TagInfo", "Update",
]

Severity = Literal["error", "warning"]
FieldKind = Literal["image", "tag", "name", "digest"]


@value_type
class Span:
    """Character offsets ``[start, end)`` of a scalar's text in a file (quotes excluded)."""

    start: int
    end: int


@value_type
class ImageUse:
    """One automated image field found in a manifest.

    ``span`` covers the text that an update replaces; ``field`` says what that text holds:
    a whole reference (``image``), only a tag (``tag``), only a name (``name``) or a digest.
    ``image`` is the full reference currently in effect (for split fields, assembled).
    """

    file: str
    line: int
    span: Span
    field: FieldKind
    image: ImageRef
    container: str
    policy: PolicySpec
    dialect: str
    workload: str = ""
    quote: str = ""  # the quote character around the value in the file ('' when plain)
    # the text at ``span`` when it is not what ``field`` and ``image`` imply (a ``name`` or
    # ``digest`` field, or a whole reference rewritten to another repository's spelling)
    current: str | None = None
    # what locating kept of the document that holds this field (a DocumentProof of
    # automator.manifest.proof), so a patch is verified without parsing the old text again
    document: object = field(default=None, compare=False, repr=False)
    # the text written over ``span``, ``{value}`` standing for the new value: for a field that
    # does not exist yet (``span`` empty; Argo CD's .argocd-source files, created or extended)
    # or a value inside a larger scalar (``alias=image:tag``)
    insert: str = ""


@value_type
class Problem:
    """Something that could not be processed; never stops the rest of the run."""

    message: str
    file: str = ""
    image: str = ""
    line: int | None = None
    severity: Severity = "error"
    code: str = ""  # what kind of problem, when --strict may promote it (manifest.typos)


@value_type
class Update:
    """A planned change of one field: ``new_text`` replaces ``use.span`` in ``use.file``."""

    use: ImageUse
    from_tag: str
    to_tag: str
    new_text: str
    reason: str


@value_type
class Plan:
    """Everything one run intends to change, and everything it could not process."""

    updates: tuple[Update, ...] = ()
    problems: tuple[Problem, ...] = ()
    uses: tuple[ImageUse, ...] = field(default=(), compare=False)

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def files(self) -> tuple[str, ...]:
        return tuple(sorted({u.use.file for u in self.updates}))


@value_type
class Change:
    """What a write produced: a pushed commit and/or a pull request."""

    commit: str | None = None
    branch: str | None = None
    pr_url: str | None = None
    attempts: int = 1
