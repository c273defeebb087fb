"""Patching a file where fields are added (Argo CD override files created or extended) (pure).

Scalar edits are proven twice (:func:`automator.manifest.patch.patch_text`); an added field
changes the tree's shape, so here the proofs are: every document of the new text parses,
every document without an edit is unchanged byte for byte, and re-locating the whole new text
finds exactly the fields located before with the planned values, plus the added ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from automator.errors import ManifestError
from automator.manifest.proof import field_key, field_state, fields_of
from automator.manifest.yamldoc import compose, split_documents
from automator.model import Span, Update

Edit = tuple[Span, str]  # where, and the text written there


def verify_insertions(old: str, new: str, edits: Sequence[Edit]) -> None:
    """Every document of ``new`` parses; a document that no edit touches is unchanged."""
    new_chunks = split_documents(new)
    for chunk in new_chunks:
        compose(chunk, chunk.first_line)
    if not old.strip():
        return
    old_chunks = split_documents(old)
    if len(old_chunks) != len(new_chunks):
        raise ManifestError("the patched text has a different number of YAML documents")
    for old_chunk, new_chunk in zip(old_chunks, new_chunks, strict=True):
        end = old_chunk.start + len(old_chunk.text)
        if not any(old_chunk.start <= span.start <= end for span, _ in edits) and old_chunk.text != new_chunk.text:
            raise ManifestError(f"document {old_chunk.index + 1} changed although it has no edit")


def patch_with_insertions(file: str, text: str, updates: Sequence[Update], locators: Mapping) -> str:
    """``text`` with the updates applied (some adding fields), or ManifestError."""
    from automator.manifest.locate import locate_text

    by_span: dict[tuple[int, int], Edit] = {}
    for update in updates:
        span = update.use.span
        if by_span.get((span.start, span.end), (span, update.new_text))[1] != update.new_text:
            raise ManifestError(f"{file}:{update.use.line}: two different texts would be written at one place")
        by_span[(span.start, span.end)] = (span, update.new_text)
    edits = sorted(by_span.values(), key=lambda edit: (edit[0].start, edit[0].end))
    out, at = [], 0
    for span, written in edits:
        if span.start < at:
            raise ManifestError(f"{file}: overlapping edits at offset {span.start}")
        out += [text[at : span.start], written]
        at = span.end
    new = "".join([*out, text[at:]])
    verify_insertions(text, new, edits)
    wanted = dict(fields_of(locate_text(file, text, locators).uses))
    for update in updates:
        wanted[field_key(update.use)] = field_state(update.use, update.to_tag)
    found = dict(fields_of(locate_text(file, new, locators).uses))
    if found != wanted:
        changed = sorted(k[3] for k in set(found) | set(wanted) if found.get(k) != wanted.get(k))
        raise ManifestError(f"{file}: re-locating the patched text does not show the planned change (containers {', '.join(changed)})")
    return new
