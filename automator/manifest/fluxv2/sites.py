"""Find the scalars that carry a ``$imagepolicy`` marker in one composed document (pure).

Comments are not part of a composed YAML tree, so markers are found with the line scanner
(:mod:`automator.manifest.yamlline`) and then matched to the composed scalar node that starts
at the same offset: the tree confirms the value is a real one-line scalar (not text inside a
block scalar) and tells its key, its sibling keys and the resource it belongs to.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

from automator.errors import ManifestError
from automator.manifest.fluxv2.marker import MARKER_KEY, Marker, parse_marker
from automator.manifest.yamldoc import (
    Document,
    Node,
    get,
    get_path,
    is_mapping,
    is_scalar,
    is_sequence,
    items,
    text_of,
    value_bounds,
)
from automator.manifest.yamlline import parse_line
from automator.model import Span
from automator.values import value_type


@value_type
class MarkerSite:
    """A marked scalar: where it is, what it holds, and the mapping around it."""

    file: str
    line: int
    span: Span | None
    quote: str
    marker: Marker
    value: str
    key: str | None
    path: tuple[str, ...]
    siblings: Mapping[str, str]
    workload: str
    error: str = ""


@value_type
class _Slot:
    node: Node
    key: str | None
    path: tuple[str, ...]
    parent: Node | None


def _slots(node: Node, path: tuple[str, ...], out: dict[int, _Slot], doc: Document) -> None:
    if is_mapping(node):
        for key, _, value in items(node):
            if is_scalar(value):
                out.setdefault(_start(doc, value), _Slot(value, key, (*path, key), node))
            else:
                _slots(value, (*path, key), out, doc)
    elif is_sequence(node):
        for index, value in enumerate(node.value):
            if is_scalar(value):
                out.setdefault(_start(doc, value), _Slot(value, None, (*path, f"[{index}]"), None))
            else:
                _slots(value, (*path, f"[{index}]"), out, doc)


def _start(doc: Document, scalar: Node) -> int:
    """Where a scalar's text starts (its quote included), after any anchor or tag."""
    return value_bounds(doc.text, scalar, doc.chunk.start)[0]


def workload_of(root: Node) -> str:
    """``Kind/name`` of a document's resource ('' when it is no Kubernetes object)."""
    kind = text_of(get(root, "kind")) if is_mapping(root) else None
    name = text_of(get_path(root, "metadata", "name")) if is_mapping(root) else None
    return f"{kind}/{name}" if kind and name else kind or ""


def marked_lines(text: str) -> Iterator[tuple[int, int, str]]:
    """``(line number, offset, line)`` of each line of ``text`` that mentions the marker key."""
    pos, line_no, counted = text.find(MARKER_KEY), 1, 0
    while pos >= 0:
        start = text.rfind("\n", 0, pos) + 1
        end = text.find("\n", pos)
        end = len(text) if end < 0 else end
        line_no += text.count("\n", counted, start)
        counted = start
        line = text[start:end].removesuffix("\r")
        if start == 0 and line.startswith("\ufeff"):
            line, start = line[1:], 1
        yield line_no, start, line
        pos = text.find(MARKER_KEY, end)


def marker_sites(doc: Document) -> Iterator[MarkerSite]:
    """Every scalar of ``doc`` carrying a ``$imagepolicy`` line comment, in file order.

    Only lines mentioning the marker are parsed; the composed tree confirms each one (a
    line inside a block scalar has no scalar node starting where its value would).
    """
    slots: dict[int, _Slot] | None = None
    workload = ""
    for number, offset, line in marked_lines(doc.chunk.text):
        parsed = parse_line(line)
        if parsed is None:
            continue
        comment = parsed.comment
        if parsed.block:  # a marker after '|' or '>': the value cannot be patched, which is an error
            at = line.find("#", parsed.start)
            comment = line[at:] if at >= 0 else ""
        elif not parsed.value:
            continue
        if MARKER_KEY not in comment:
            continue
        marker = parse_marker(comment)
        if marker is None:
            continue
        if slots is None:
            slots = {}
            _slots(doc.root, (), slots, doc)
            workload = workload_of(doc.root)
        start = doc.chunk.start + offset + parsed.start - (1 if parsed.quote else 0)
        slot = slots.get(start)
        if slot is None:
            continue
        span, quote, error = None, "", ""
        try:
            span, quote = doc.scalar(slot.node)
        except ManifestError as problem:
            error = problem.message
        yield MarkerSite(
            file=doc.file,
            line=doc.first_line + number - 1,
            span=span,
            quote=quote,
            error=error,
            marker=marker,
            value=text_of(slot.node) or "",
            key=slot.key,
            path=slot.path[:-1],
            siblings=MappingProxyType(_siblings(slot.parent)),
            workload=workload,
        )


def _siblings(mapping: Node | None) -> dict[str, str]:
    if mapping is None:
        return {}
    return {key: text for key, _, value in items(mapping) if (text := text_of(value)) is not None}


def to_data(node: Node | None) -> Any:
    """Plain Python data of a composed node (scalars stay strings; nulls become None)."""
    if node is None:
        return None
    if is_mapping(node):
        return {key: to_data(value) for key, _, value in items(node)}
    if is_sequence(node):
        return [to_data(value) for value in node.value]
    return text_of(node)
