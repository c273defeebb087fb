"""Which scalars are reached from more than one place, following YAML's merge semantics.

An anchored value may stand in several places through aliases, and patching it changes all
of them. ``<<`` merge keys count only where they take effect: a key that the merging mapping
writes itself overrides the merged one, so the merged value is not used there.

``sidecar: {<<: *base, tag: v1.0.0}`` uses ``base``'s ``image`` but not its ``tag``.
"""

from __future__ import annotations

from collections.abc import Iterator

from automator.manifest.yamldoc import Node, is_mapping, is_scalar, is_sequence, value_bounds

MAX_PLACES_NAMED = 10


def _is_merge(key: Node) -> bool:
    return is_scalar(key) and key.value == "<<" and not key.style


def _sources(value: Node) -> list[Node]:
    if is_sequence(value):
        return [v for v in value.value if is_mapping(v)]
    return [value] if is_mapping(value) else []


def effective_items(node: Node) -> Iterator[tuple[str, Node]]:
    """(key, value) of a mapping as YAML merges it: own keys first, then merged ones not
    already present, from the first merged mapping to the last (each with its own merges)."""
    taken: set[str] = set()
    stack: list[Node] = [node]
    visited: set[int] = set()
    while stack:
        current = stack.pop()
        if id(current) in visited:
            continue
        visited.add(id(current))
        merged: list[Node] = []
        for key, value in current.value:
            if _is_merge(key):
                merged.extend(_sources(value))
                continue
            name = key.value if is_scalar(key) else f"<{id(key)}>"
            if name not in taken:
                taken.add(name)
                yield name, value
        stack.extend(reversed(merged))


def children(node: Node) -> list[tuple[str, Node]]:
    if is_mapping(node):
        return list(effective_items(node))
    if is_sequence(node):
        return [(f"[{i}]", v) for i, v in enumerate(node.value)]
    return []


def shared_places(text: str, root: Node, base: int) -> dict[int, tuple[int, tuple[str, ...]]]:
    """Scalars that take effect in more than one place: value start offset -> (number of
    places, the first places as dotted paths). Offsets are those of ``Document.scalar`` spans.
    """
    places: dict[int, list[str]] = {}
    counts: dict[int, int] = {}
    nodes: dict[int, Node] = {}
    stack: list[tuple[Node, str]] = [(root, "")]
    while stack:
        node, path = stack.pop()
        if is_scalar(node):
            counts[id(node)] = counts.get(id(node), 0) + 1
            nodes[id(node)] = node
            named = places.setdefault(id(node), [])
            if len(named) < MAX_PLACES_NAMED:
                named.append(path or "(document)")
            continue
        for name, kid in reversed(children(node)):
            stack.append((kid, f"{path}{name}" if name.startswith("[") else f"{path}.{name}" if path else name))
    found = {}
    for key, count in counts.items():
        if count > 1:
            node = nodes[key]
            start = value_bounds(text, node, base)[0] + (1 if node.style in ('"', "'") else 0)
            found[start] = (count, tuple(places[key]))
    return found
