"""Bounds on what one YAML document may be, so no file can exhaust the run.

The YAML libraries and every walk over composed nodes that follows the tree's shape recurse;
a document nested hundreds of levels deep (nothing Kubernetes or Flux would accept) would
end the whole run with ``RecursionError``. Such a document is a named error about its file.
The expansion of aliases is bounded in :mod:`automator.manifest.yamldoc`.
"""

from __future__ import annotations

import re
from typing import Any

from automator.errors import ManifestError

Node = Any  # a composed node of PyYAML or ruamel.yaml (see automator.manifest.yamldoc)
_ALIAS = re.compile(r"(?:^|[ \t\[{,])\*[^ \t\r\n,\]}]", re.MULTILINE)  # as yamldoc.has_alias

MAX_DEPTH = 200  # levels of nested mappings and lists; real manifests stay well under 50
_HALF = MAX_DEPTH // 2 - 2
_DEEP_PREFIX = re.compile(rf"^[ \t?-]{{{_HALF}}}", re.MULTILINE)


def may_be_deep(text: str, aliased: bool | None = None) -> bool:
    """False when the text cannot nest ``MAX_DEPTH`` levels: without aliases, each level costs
    an opening bracket or at least one column of indentation (``- `` included) per two levels.
    ``aliased``: whether the text may hold an alias, when the caller knows already."""
    if _ALIAS.search(text) if aliased is None else aliased:
        return True
    return text.count("[") + text.count("{") >= _HALF or _DEEP_PREFIX.search(text) is not None


def _kids(node: Node) -> list[Node]:
    kind = type(node).__name__
    if kind == "MappingNode":
        return [n for pair in node.value for n in pair]
    if kind == "SequenceNode":
        return list(node.value)
    return []


def depth_of(root: Node, limit: int = MAX_DEPTH) -> int:
    """Levels of the deepest path from ``root`` (aliases followed), counted up to ``limit + 1``."""
    deepest = 0
    stack = [(root, 1)]
    best: dict[int, int] = {}  # the greatest depth at which a node was already walked
    while stack:
        node, depth = stack.pop()
        if best.get(id(node), 0) >= depth:
            continue
        best[id(node)] = depth
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        stack.extend((kid, depth + 1) for kid in _kids(node))
    return deepest


def check_depth(root: Node, first_line: int = 1, text: str | None = None, limit: int = MAX_DEPTH,
                aliased: bool | None = None) -> None:
    """Raise :class:`ManifestError` when the document nests deeper than ``limit`` levels."""
    if root is None or (text is not None and limit == MAX_DEPTH and not may_be_deep(text, aliased)):
        return
    if depth_of(root, limit) > limit:
        raise ManifestError(
            f"YAML cannot be read at line {first_line}: it nests deeper than {limit} levels "
            "(no manifest, rules or tags file needs that many); not read",
        )
