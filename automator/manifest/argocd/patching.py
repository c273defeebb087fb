"""Patching a file where fields are added (Argo CD override files created or extended) (pure).

Scalar edits are proven twice (:func:`automator.manifest.patch.patch_text`); an added field
changes the tree's shape, so here the proofs are: every document of the new text parses,
every document without an edit is unchanged byte for byte, and re-locating the whole new text
finds exactly the fields located before with the planned values, plus the added ones (an added
tag brings the image's name parameter or key along, naming the image itself). A companion (a
tag that adds its image's missing name parameter, or a kustomization entry's ``newName``)
writes its new value over the tag, found by locating the file with ``tags_alone``, and the
name at its span.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from automator.errors import AutomatorError, ManifestError
from automator.imageref import normalise_repository
from automator.manifest.argocd.locate import DIALECT, THEN, ArgoLocator
from automator.manifest.proof import field_key, field_state, fields_of
from automator.manifest.yamldoc import compose, split_documents
from automator.model import ImageUse, Span, Update

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


def merged(texts: Sequence[str]) -> str:
    """Several texts added at one place, in order; the header lines (``key:`` lines) that a
    later one shares with the first are written once (two images of a new override file).
    Texts without a line are items of a flow list: each after the first starts with ``, ``
    (in an empty list none does). The line ending that each text starts with when the file
    lacks a final one is written once."""
    first, out = texts[0], [texts[0]]
    head = first.splitlines(keepends=True)
    for text in texts[1:]:
        if "\n" not in first and not text.startswith(", "):
            text = ", " + text
        ending = next((e for e in ("\r\n", "\n") if first.startswith(e)), "")  # the file's missing last line ending
        if ending and text.startswith(ending):
            text = text[len(ending):]  # ... is written once
        lines = text.splitlines(keepends=True)
        shared = 0
        while shared < min(len(lines), len(head)) and lines[shared] == head[shared] and lines[shared].rstrip().endswith(":"):
            shared += 1
        out.append("".join(lines[shared:]))
    return "".join(out)


def moved_lines(text: str, uses: Sequence[ImageUse], edits: Sequence[Edit]) -> list[ImageUse]:
    """``uses`` of ``text`` with the lines they are on once ``edits`` are written (a line added
    above a field moves it down: a key added to a kustomization's images entry; a field still
    to add where others are added now goes after them)."""
    def added_lines(use: ImageUse) -> int:
        return sum(written.count("\n") - text.count("\n", span.start, span.end) for span, written in edits
                   if span.end <= use.span.start)
    return [replace(use, line=use.line + added_lines(use)) for use in uses]


def patch_with_insertions(file: str, text: str, updates: Sequence[Update], locators: Mapping) -> str:
    """``text`` with the updates applied (some adding fields), or ManifestError."""
    from automator.manifest.locate import locate_text

    old_uses = locate_text(file, text, tags_alone(locators)).uses  # a companion's tag where it is
    tags = {field_key(use): use for use in old_uses if use.field == "tag"}
    at_span: dict[tuple[int, int], list[str]] = {}

    def add(span: Span, written: str, line: int) -> None:
        texts = at_span.setdefault((span.start, span.end), [])
        if written not in texts:
            texts.append(written)
        if len(texts) > 1 and span.start != span.end:
            raise ManifestError(f"{file}:{line}: two different texts would be written at one place")

    at_tag: dict[int, ImageUse] = {}  # update -> the tag a companion writes (where its line moves)
    for number, update in enumerate(updates):
        use, written = update.use, update.new_text
        if THEN in use.insert:  # a tag that adds its image's name: its value goes to the tag
            value, _, written = written.partition(THEN)
            tag = at_tag[number] = tags.get(field_key(use))  # type: ignore[assignment]
            if tag is None or tag.image.tag != use.image.tag:
                raise ManifestError(f"{file}:{use.line}: the file changed since it was scanned; scan again")
            add(tag.span, value, use.line)
        add(use.span, written, use.line)
    edits = sorted(((Span(start, end), merged(texts)) for (start, end), texts in at_span.items()), key=lambda e: (e[0].start, e[0].end))
    out, at = [], 0
    for span, written in edits:
        if span.start < at:
            raise ManifestError(f"{file}: overlapping edits at offset {span.start}")
        out += [text[at : span.start], written]
        at = span.end
    new = "".join([*out, text[at:]])
    verify_insertions(text, new, edits)
    wanted = dict(fields_of(moved_lines(text, old_uses, edits)))
    added = []
    for number, update in enumerate(updates):
        (moved,) = moved_lines(text, [at_tag.get(number, update.use)], edits)
        if update.use.span.start == update.use.span.end:
            wanted.pop(field_key(moved), None)
            added.append((field_key(update.use)[:4], field_state(update.use, update.to_tag)))
        else:
            wanted[field_key(moved)] = field_state(update.use, update.to_tag)
    found = dict(fields_of(locate_text(file, new, locators).uses))
    written_with = {(*key[:2], "name", key[3]) for key, _ in added if key[2] != "name"}
    new_fields = sorted((key[:4], state) for key, state in found.items()
                        if key not in wanted and not (key[:4] in written_with and _names_own_image(state)))
    kept = {key: state for key, state in found.items() if key in wanted}
    if kept != wanted or new_fields != sorted(added):
        changed = sorted({k[3] for k in set(kept) | set(wanted) if kept.get(k) != wanted.get(k)} ^ {k[3] for k, _ in set(new_fields) ^ set(added)})
        raise ManifestError(f"{file}: re-locating the patched text does not show the planned change (containers {', '.join(changed)})")
    return new


def tags_alone(locators: Mapping) -> Mapping:
    """``locators`` with the ``argocd`` one locating each companion as the tag it writes."""
    argo = locators.get(DIALECT)
    return {**locators, DIALECT: replace(argo, tags_alone=True)} if isinstance(argo, ArgoLocator) else locators


def _names_own_image(state: tuple[str, str | None]) -> bool:
    """A name field's state that names the repository its policy scans: what an added tag's
    parameters (or values keys) write beside it, so it needs no update of its own."""
    repository, text = state
    try:
        return text is not None and normalise_repository(text) == repository
    except AutomatorError:
        return False
