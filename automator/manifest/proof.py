"""What locating keeps of each automated document, so that a patch is verified with one parse.

Locating composes every document that carries automation. Verifying a patch must show that
the patched document reads as the old one apart from the edited values, and that the
locators find the planned change. Instead of the old nodes (a worker process cannot hand
them back, and a tree per document is heavy), locating keeps a :class:`DocumentProof`: a
digest of the document's text, a digest of its node tree and the state of every field it
located there. The patcher then composes only the new text of each edited document: when the
old text still has the kept digest, the new tree with the edited scalars read back as their
old values must have the kept tree digest, and re-locating it must find the kept fields with
only the planned tags changed.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from itertools import chain

from automator.manifest.yamldoc import Chunk, Node, has_alias
from automator.model import ImageUse
from automator.values import value_type

FieldKey = tuple[str, str, str, str, str]
_flat = chain.from_iterable
_IMPLICIT = frozenset(("tag:yaml.org,2002:str", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"))
FieldState = tuple[str, "str | None"]


@value_type
class DocumentProof:
    """One located document: where it is, digests of its text and tree, its fields' states."""

    index: int
    start: int
    length: int
    first_line: int
    text_digest: bytes
    tree_digest: bytes | None  # None: not kept (every field may be proven without it; see below)
    fields: tuple[tuple[FieldKey, FieldState], ...]
    whole: frozenset[int] = frozenset()  # span starts of fields that are whole one-line scalars
    aliases: bool = True  # whether the document's text may hold an alias

    def chunk(self, text: str) -> Chunk | None:
        """The document's chunk of ``text``, or None when its text is not the one located."""
        piece = text[self.start : self.start + self.length]
        if len(piece) != self.length or text_digest(piece) != self.text_digest:
            return None
        return Chunk(self.index, self.start, piece, self.first_line)


def text_digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def tree_digest(
    root: Node,
    base: int = 0,
    swap: Mapping[int, str] | None = None,
    swapped: dict[int, Node] | None = None,
    aliases: bool = True,
) -> bytes:
    """A digest of a node tree: kinds, explicit tags, scalar values, lengths, alias sharing.

    Scalar styles are left out (a patch may quote a plain value). With ``swap`` (offset in the
    text of a scalar's end -> a value), the scalars ending there count with that value instead
    of their own, and are recorded in ``swapped``: a patched tree digests like the old one.
    ``aliases=False`` (the text has none) skips the bookkeeping of shared nodes. One visit per
    node, in a fixed order; an aliased node counts once, then by its first position.
    """
    if root is None:
        return b""
    tokens: list = []
    add = tokens.append
    seen: dict[int, int] = {}
    stack = [root]
    pop, extend = stack.pop, stack.extend
    while stack:
        node = pop()
        if aliases:
            first = seen.get(id(node))
            if first is not None:
                add(-1 - first)  # an alias: the position of the node it names
                continue
            seen[id(node)] = len(seen)
        kind, value, tag = node.id, node.value, node.tag
        if tag not in _IMPLICIT:
            add((tag if type(tag) is str else str(tag),))  # an explicit tag, as a 1-tuple
        if kind == "scalar":
            if swap:
                end = base + node.end_mark.index
                if end in swap:
                    value = swap[end]
                    if swapped is not None:
                        swapped[end] = node
            add(value)
        elif kind == "mapping":
            add(len(value))  # a mapping: its length, then its keys and values
            add("{")
            extend(_flat(value))
        else:
            add(len(value))
            add("[")
            extend(value)
    # repr, not marshal or pickle: their output depends on object identity and reference counts
    return hashlib.blake2b(repr(tokens).encode("utf-8", "surrogatepass"), digest_size=16).digest()


def field_key(use: ImageUse) -> FieldKey:
    return (use.dialect, use.workload, use.field, use.container, str(use.line))


def field_state(use: ImageUse, new: str | None = None) -> FieldState:
    """What a located field holds: its tag, or for a name/digest field its own text."""
    if use.field in ("name", "digest"):
        return use.image.repository, new if new is not None else use.current
    return use.image.repository, new if new is not None else use.image.tag


def fields_of(uses: Iterable[ImageUse]) -> tuple[tuple[FieldKey, FieldState], ...]:
    return tuple((field_key(u), field_state(u)) for u in uses)


def with_proofs(docs: Sequence[tuple[Chunk, Node, set[int]]], uses: Sequence[ImageUse]) -> list[ImageUse]:
    """``uses`` (found in ``docs``, in file order) each carrying the proof of its document.

    ``docs``: each document's chunk, root and the span starts of the scalars its locators took
    whole. The tree digest is left out when every field of a document may be proven without a
    parse (:func:`automator.manifest.sameshape.eligible`); a patch that cannot be proven so
    composes the old text again instead."""
    from automator.manifest.sameshape import eligible

    if not uses or not docs:
        return list(uses)
    starts = [chunk.start for chunk, _, _ in docs]
    groups: dict[int, list[ImageUse]] = {}
    for use in uses:
        groups.setdefault(bisect_right(starts, use.span.start) - 1, []).append(use)
    groups.pop(-1, None)  # (a use before the first document cannot be: it is not proven)
    proofs: dict[int, DocumentProof] = {}
    for at, group in groups.items():
        chunk, root, whole = docs[at]
        aliases = has_alias(chunk.text)
        kept = frozenset(u.span.start for u in group if u.span.start in whole)
        cheap = not aliases and all(u.span.start in kept and eligible(u) for u in group)
        proofs[at] = DocumentProof(
            chunk.index, chunk.start, len(chunk.text), chunk.first_line,
            text_digest(chunk.text), None if cheap else tree_digest(root, aliases=aliases), fields_of(group),
            kept, aliases,
        )
    return [replace(use, document=proofs.get(bisect_right(starts, use.span.start) - 1)) for use in uses]
