"""Patch manifest text at located spans and prove that exactly the intended values changed.

Pure: text in, text out. All edits of a file are applied in one pass (the new text is joined
from slices of the old text and the new values), and each edited document is verified on its
own, so patching is linear in the size of a file and in its number of edits. Every other byte
(comments, quoting, CRLF, BOM, flow style, anchors, blank lines) is untouched.

Verification parses only the new text of the edited documents, once. Two proofs per document:
its tree is the old one apart from the edited scalars, which hold the new values; and
re-locating it finds the old fields with only the planned tags changed. The old tree and fields
are those that the locating pass kept (:mod:`automator.manifest.proof`) while the document's
text is still the one located; otherwise the old document is composed again.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import replace

from automator.errors import ManifestError
from automator.manifest.proof import DocumentProof, field_key, field_state, fields_of, tree_digest
from automator.manifest.scalars import needs_quotes, non_string_readers
from automator.manifest.yamldoc import (
    COLONS_IN_FLOW,
    Chunk,
    compose,
    has_alias,
    kind_name,
    split_documents,
    value_bounds,
)
from automator.model import Span, Update
from automator.values import value_type

PLAIN_NULLS = frozenset(("~", "null", "Null", "NULL"))  # a marked null is filled in: its located value is ''


@value_type
class Edit:
    span: Span
    text: str
    quote: str = ""  # the quote character around the old value ('' when plain)


def render(quote: str, value: str) -> str:
    """The text that replaces a value's span: plain values that some YAML reader would not read
    as that string (see :mod:`automator.manifest.scalars`) get quotes."""
    if quote == "" and needs_quotes(value):
        return f'"{value}"'
    return value


def edits_for(updates: Sequence[Update]) -> list[Edit]:
    """One edit per distinct span (an anchored value used twice is one edit); conflicts raise."""
    by_span: dict[tuple[int, int], Edit] = {}
    for update in updates:
        key = (update.use.span.start, update.use.span.end)
        edit = Edit(update.use.span, update.new_text, update.use.quote)
        if key in by_span and by_span[key] != edit:
            raise ManifestError(
                f"{update.use.file}:{update.use.line}: one value would get two different new values "
                f"({by_span[key].text!r} and {edit.text!r})"
            )
        if "\n" in edit.text or "\r" in edit.text:
            raise ManifestError(f"{update.use.file}:{update.use.line}: the new value {edit.text!r} is not one line")
        by_span[key] = edit
    return _ordered(by_span.values())


def _ordered(edits) -> list[Edit]:
    ordered = sorted(edits, key=lambda e: e.span.start)
    for before, after in zip(ordered, ordered[1:], strict=False):
        if before.span.end > after.span.start:
            raise ManifestError(f"overlapping edits at offsets {before.span.start} and {after.span.start}")
    return ordered


def pieces(text: str, edits: Sequence[Edit]) -> list[str]:
    """The new text in order: the slices of ``text`` between the (ordered) edits, and their texts.

    Joined, they are the patched text; every character of it is copied once.
    """
    out, at = [], 0
    for edit in edits:
        out.append(text[at : edit.span.start])
        out.append(edit.text)
        at = edit.span.end
    out.append(text[at:])
    return out


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """Splice every edit's text over its span, in one pass."""
    return "".join(pieces(text, _ordered(edits)))


@value_type
class EditedDocument:
    """One document with edits: its old and new chunks, the edits with their new starts."""

    old: Chunk
    new: Chunk
    edits: tuple[tuple[Edit, int], ...]
    proof: DocumentProof | None  # what locating kept of it (None: compose the old text)


def edited_documents(old: str, new: str, edits: Sequence[Edit], proofs: Mapping[int, DocumentProof]) -> list[EditedDocument]:
    """The documents that the ordered ``edits`` fall in, each once, with both texts' chunks.

    ``proofs`` (span start -> proof) name the documents as located; when a document's text is
    no longer the one located, or an edit has no proof, the old text is split to find it.
    """
    found: list[EditedDocument] = []
    chunks: list[Chunk] | None = None
    starts: list[int] = []
    delta, i = 0, 0
    while i < len(edits):
        first = edits[i]
        proof = proofs.get(first.span.start)
        chunk = proof.chunk(old) if proof is not None else None
        if chunk is None or not chunk.start <= first.span.start < chunk.start + len(chunk.text):
            if chunks is None:
                chunks = split_documents(old)
                starts = [c.start for c in chunks]
            chunk, proof = chunks[max(0, bisect_right(starts, first.span.start) - 1)], None
        end = chunk.start + len(chunk.text)
        new_start, group = chunk.start + delta, []
        while i < len(edits) and edits[i].span.start < end:
            edit = edits[i]
            if edit.span.end > end:
                raise ManifestError(f"an edit at offset {edit.span.start} crosses the end of a YAML document")
            group.append((edit, edit.span.start + delta))
            delta += len(edit.text) - (edit.span.end - edit.span.start)
            i += 1
        new_chunk = Chunk(chunk.index, new_start, new[new_start : end + delta], chunk.first_line)
        found.append(EditedDocument(chunk, new_chunk, tuple(group), proof))
    return found


def verify_document(old: str, new: str, doc: EditedDocument, old_root=None, new_root=None) -> tuple:
    """Raise unless ``doc``'s new tree is its old one apart from the edited scalars, which hold
    the edit texts. Return the new root and the old root (None when the proof stood for it).

    One parse: the new text of the document. The old tree is the proof's digest while the
    document's text is the one located; otherwise (or to explain a difference) it is composed.
    """
    if new_root is None:
        new_root = compose(doc.new, doc.new.first_line)
    swap: dict[int, str] = {}
    for edit, start in doc.edits:
        swap[start + len(edit.text) + len(edit.quote)] = old[edit.span.start : edit.span.end]
    swapped: dict = {}
    aliases = has_alias(doc.old.text)  # both trees are digested alike
    digest = tree_digest(new_root, doc.new.start, swap, swapped, aliases)
    if doc.proof is not None and old_root is None and doc.proof.tree_digest is not None:
        same = digest == doc.proof.tree_digest
    else:
        if old_root is None:
            old_root = compose(doc.old, doc.old.first_line)
        same = digest == tree_digest(old_root, aliases=aliases)
    edited = []
    for edit, start in doc.edits:
        node = swapped.get(start + len(edit.text) + len(edit.quote))
        if node is None or not _whole_value(new, node, doc.new.start, start, edit) or node.value != _expected(edit):
            same = False
        edited.append(node)
    if not same:
        if old_root is None:
            old_root = compose(doc.old, doc.old.first_line)
        _explain(old, doc, old_root, new_root)
    for node in edited:
        _check_resolves_as_text(node)
    return new_root, old_root


def _whole_value(new: str, node, base: int, start: int, edit: Edit) -> bool:
    """Whether the scalar ``node`` of the new text is exactly the edit (plus the old quotes)."""
    first, end = value_bounds(new, node, base)
    quotes = len(edit.quote)
    return first + quotes == start and end - quotes == start + len(edit.text)


def _expected(edit: Edit) -> str:
    return edit.text if edit.quote else _unquoted(edit.text)


def _unquoted(text: str) -> str:
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'" else text


def _explain(old: str, doc: EditedDocument, old_root, new_root) -> None:
    """Raise the first difference between the trees that the edits do not account for."""
    expected = {edit.span.start: _expected(edit) for edit, _ in doc.edits}
    _compare(old_root, new_root, doc.old.start, expected, old)
    if expected:
        lines = sorted(old.count("\n", 0, offset) + 1 for offset in expected)
        raise ManifestError(f"line {lines[0]}: the edited text is not a whole value")
    raise ManifestError(f"document {doc.old.index + 1} does not read as before apart from the edited values")


def verify_edits(old: str, new: str, edits: Sequence[Edit]) -> None:
    """Re-parse the edited documents of ``new`` and raise unless only the edited scalars differ.

    Every node of every edited document must be the same (same shape, same anchors, same
    values) except the scalars at the edited spans, whose new values must be the edit texts;
    every other document must be unchanged. Linear: each document is compared once.
    """
    old_chunks, new_chunks = split_documents(old), split_documents(new)
    if len(old_chunks) != len(new_chunks):
        raise ManifestError("the patched text has a different number of YAML documents")
    edited = {doc.old.index: doc for doc in edited_documents(old, new, _ordered(edits), {})}
    for old_chunk, new_chunk in zip(old_chunks, new_chunks, strict=True):
        doc = edited.get(old_chunk.index)
        if doc is None:
            if old_chunk.text != new_chunk.text:
                raise ManifestError(f"document {old_chunk.index + 1} changed although it has no edit")
        else:  # the new text as given (not necessarily these edits applied): its own chunk
            verify_document(old, new, replace(doc, new=new_chunk))


def _compare(a, b, base: int, expected: dict[int, str], text: str) -> None:
    """Walk both trees together; raise at the first difference not expected by an edit."""
    if a is None or b is None:
        if a is not b:
            raise ManifestError("a document became empty or non-empty")
        return
    seen: set[int] = set()
    stack = [(a, b)]
    pop, push = stack.pop, stack.append
    while stack:
        x, y = pop()
        if id(x) in seen:
            continue
        seen.add(id(x))
        kind = type(x)
        if kind is not type(y):
            raise ManifestError(f"line {x.start_mark.line + 1}: the structure changed")
        value = x.value
        if kind.__name__ == "ScalarNode":
            if value == y.value:
                continue  # an edited scalar left unchanged is caught below: its edit stays unmatched
            start = value_bounds(text, x, base)[0] + (1 if x.style in ('"', "'") else 0)
            want = expected.pop(start, value)
            if y.value != want:
                raise ManifestError(f"line {x.start_mark.line + 1}: value {value!r} became {y.value!r}, expected {want!r}")
            _check_resolves_as_text(y)
            continue
        if x.tag != y.tag or len(value) != len(y.value):
            raise ManifestError(f"line {x.start_mark.line + 1}: a {kind_name(x)} changed shape")
        if kind.__name__ == "MappingNode":
            for (kx, vx), (ky, vy) in zip(value, y.value, strict=True):
                push((vx, vy))
                push((kx, ky))
        else:
            for pair in zip(value, y.value, strict=True):
                push(pair)


def _check_resolves_as_text(node) -> None:
    """An edited plain scalar must read back as a string under every YAML reader."""
    if not node.style and needs_quotes(node.value):
        readers = ", ".join(f"{kind} to {name}" for name, kind in non_string_readers(node.value).items())
        raise ManifestError(f"line {node.start_mark.line + 1}: the new value {node.value} would not read as text ({readers}); write it quoted")


def _proven_without_parse(text: str, doc: EditedDocument, by_start: Mapping[int, list[Update]], locators) -> bool:
    """Whether the document's edits keep its tree but for their values (:mod:`.sameshape`)."""
    from automator.manifest.locate import is_opt_in
    from automator.manifest.sameshape import provable

    if not COLONS_IN_FLOW:
        return False
    proof = doc.proof
    planned = {field_key(u.use) for edit, _ in doc.edits for u in by_start.get(edit.span.start, ())}
    others = [state[0] for key, state in proof.fields if key not in planned]
    opted = any(is_opt_in(loc) and any(m in doc.old.text for m in loc.markers) for loc in locators.values())
    edits = [(e.span.start, e.span.end, e.text, e.quote) for e, _ in doc.edits]
    return provable(text, proof.whole, proof.aliases, edits, by_start, others, opted)


def patch_text(file: str, text: str, updates: Sequence[Update], locators=None) -> str:
    """Apply updates to one file's text; raise :class:`ManifestError` unless exactly they changed.

    Two proofs per edited document, from one parse of its new text: the new tree equals the old
    one apart from the edited scalars (:func:`verify_document`), and re-locating it finds the
    fields that were located before with the planned tags.
    """
    from automator.manifest.locate import Parsed, locate_parsed

    if locators is None:
        from automator.manifest.locators import LOCATORS as locators
    for update in updates:
        use = update.use
        was = use.current if use.current is not None else use.image.tag or "" if use.field == "tag" else use.image.written
        if text[use.span.start : use.span.end] != was and not (was == "" and text[use.span.start : use.span.end] in PLAIN_NULLS):
            raise ManifestError(f"{file}:{use.line}: the file changed since it was scanned; scan again")
    if any(u.use.insert and u.use.span.start == u.use.span.end for u in updates):
        from automator.manifest.argocd.patching import (
            patch_with_insertions,  # fields added (Argo CD)
        )

        return patch_with_insertions(file, text, updates, locators)
    edits = edits_for(updates)
    new = "".join(pieces(text, edits))
    proofs = {u.use.span.start: u.use.document for u in updates if isinstance(u.use.document, DocumentProof)}
    by_start: dict[int, list[Update]] = {}
    for update in updates:
        by_start.setdefault(update.use.span.start, []).append(update)
    for doc in edited_documents(text, new, edits, proofs):
        if doc.proof is not None and _proven_without_parse(text, doc, by_start, locators):
            continue
        new_root, old_root = verify_document(text, new, doc)
        interested = [loc for loc in locators.values() if any(m in doc.new.text for m in loc.markers)]
        after = locate_parsed(file, Parsed(new, {doc.new.index: (doc.new, new_root, interested)}), prove=False, guards=False)
        if doc.proof is not None:
            wanted, strict = dict(doc.proof.fields), False
        else:  # the same locators on the old document: every field must be found again
            before = locate_parsed(file, Parsed(text, {doc.old.index: (doc.old, old_root, interested)}), prove=False, guards=False)
            wanted, strict = dict(fields_of(before.uses)), True
        planned = [u for edit, _ in doc.edits for u in by_start[edit.span.start]]
        for update in planned:
            wanted[field_key(update.use)] = field_state(update.use, update.to_tag)
        found = dict(fields_of(after.uses))
        changed = {k for k, state in found.items() if wanted.get(k) != state}
        changed |= {k for k in wanted if k not in found and (strict or any(k == field_key(u.use) for u in planned))}
        if changed:
            raise ManifestError(
                f"{file}: re-locating the patched text does not show the planned change "
                f"(containers {', '.join(sorted(k[3] for k in changed))})"
            )
    return new
