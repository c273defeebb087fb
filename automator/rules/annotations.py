"""The ``automator.dev/`` annotations of the workload around a line (hold, follow, soak).

Read only for files whose text mentions one of them (a substring screen), so the common case
costs nothing. Values are plain strings, exactly as written.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

PREFIX = "automator.dev/"
HOLD = PREFIX + "hold"
FOLLOW = PREFIX + "follow."
SOAK = PREFIX + "soak"
SCREEN = (HOLD, FOLLOW, SOAK)


def mentions_rule_annotations(text: str) -> bool:
    return any(key in text for key in SCREEN)


def _workloads(node: Any) -> Iterator[dict]:
    if isinstance(node, dict):  # ruamel.yaml's CommentedMap
        if isinstance(node.get("metadata"), dict):
            yield node
        items = node.get("items")
        if isinstance(items, list):
            for item in items:
                yield from _workloads(item)


def annotations_by_line(text: str) -> list[tuple[int, dict[str, str]]]:
    """(first line, automator.dev annotations) of every object in the text, in order."""
    from ruamel.yaml import YAML  # only when a file carries rule annotations
    from ruamel.yaml.error import YAMLError

    try:
        documents = list(YAML(typ="rt").load_all(text))
    except YAMLError:
        return []
    out = []
    for document in documents:
        for workload in _workloads(document):
            notes = workload["metadata"].get("annotations")
            found = {}
            if isinstance(notes, dict):
                found = {str(k): str(v) for k, v in notes.items() if str(k).startswith(PREFIX)}
            out.append((workload.lc.line + 1, found))
    return sorted(out, key=lambda item: item[0])


def annotations_at(text: str, line: int) -> dict[str, str]:
    """The annotations of the last object that starts at or before ``line`` (1-based)."""
    return annotations_at_line(annotations_by_line(text), line)


def annotations_at_line(objects: list[tuple[int, dict[str, str]]], line: int) -> dict[str, str]:
    found: dict[str, str] = {}
    for start, notes in objects:
        if start > line:
            break
        found = notes
    return found


def is_held(notes: dict[str, str]) -> bool:
    return notes.get(HOLD, "").strip().lower() == "true"


def follow_path(notes: dict[str, str], container: str) -> str | None:
    return notes.get(FOLLOW + container) or None
