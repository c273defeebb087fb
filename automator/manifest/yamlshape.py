"""Follow the key structure of a YAML text from its lines: parents, siblings, workload.

Built on :func:`automator.manifest.yamlline.scan_lines`. Each line with a key gets the path of
keys above it, the identity of the mapping it belongs to (so siblings can be looked up in both
directions) and the ``Kind/name`` of the document it sits in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from automator.manifest.yamlline import ScalarLine, scan_lines


@dataclass(frozen=True)
class Placed:
    """A scanned line with where it sits: key path above it, its mapping, its workload."""

    scalar: ScalarLine
    path: tuple[str, ...]
    mapping: int
    workload: str


def place_lines(lines: Iterable[ScalarLine]) -> list[Placed]:
    """Attach parent keys, mapping identity and workload to every scanned line."""
    placed: list[Placed] = []
    parents: list[tuple[int, str]] = []
    mappings: list[tuple[int, int]] = []
    next_mapping = 0
    kind = name = ""
    for scalar in lines:
        if scalar.document_start:
            parents, mappings, kind, name = [], [], "", ""
            continue
        column = scalar.column
        while parents and parents[-1][0] >= column:
            parents.pop()
        while mappings and (mappings[-1][0] > column or (scalar.item and mappings[-1][0] == column)):
            mappings.pop()
        if scalar.key is None:
            placed.append(Placed(scalar, tuple(k for _, k in parents), -1, _workload(kind, name)))
            continue
        if not mappings or mappings[-1][0] != column:
            next_mapping += 1
            mappings.append((column, next_mapping))
        path = tuple(k for _, k in parents)
        if scalar.value and column == 0 and scalar.key == "kind":
            kind = scalar.text
        elif scalar.value and scalar.key == "name" and path == ("metadata",):
            name = scalar.text
        placed.append(Placed(scalar, path, mappings[-1][1], _workload(kind, name)))
        if not scalar.value:
            parents.append((column, scalar.key))
    return placed


def _workload(kind: str, name: str) -> str:
    return f"{kind}/{name}" if kind and name else kind


def siblings(placed: list[Placed], mapping: int) -> Mapping[str, ScalarLine]:
    """The one-line scalar values of a mapping, by key."""
    return {p.scalar.key: p.scalar for p in placed if p.mapping == mapping and p.scalar.value and p.scalar.key}


def shape(text: str) -> list[Placed]:
    return place_lines(scan_lines(text))
