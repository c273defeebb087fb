"""Files that must not be patched although they carry automation (pure).

* **Duplicate keys** on the path to an automated value, or in an automated resource's
  ``metadata``: Kubernetes, Go YAML and Flux read the *last* copy and kustomize refuses the
  file, so any edit here could change a value nobody reads.
* **SOPS-encrypted files** (a top-level ``sops:`` mapping with a ``mac``): the MAC covers the
  plaintext values too, so a patched file no longer decrypts and the cluster stops syncing.

Either refuses the whole file with an error that names the lines and says what to do.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence

from automator.manifest.yamldoc import (
    Document,
    Node,
    get,
    has_alias,
    is_mapping,
    is_sequence,
    items,
)
from automator.model import ImageUse, Problem

_SOPS_LINE = re.compile(r"^sops:", re.MULTILINE)


def duplicate_keys(root: Node, aliased: bool = True) -> Iterator[tuple[Node, tuple[Node, Node], tuple[Node, Node]]]:
    """(mapping, (first key, value), (repeated key, value)) for every key written twice in a mapping.

    ``aliased=False`` (the text holds no alias, so no node is reached twice) skips the record
    of visited nodes."""
    seen: set[int] = set()
    stack = [root]
    pop, push = stack.pop, stack.append
    while stack:
        node = pop()
        if node is None:
            continue
        if aliased:
            if id(node) in seen:
                continue
            seen.add(id(node))
        kind = node.id
        if kind == "mapping":
            pairs = node.value
            try:
                repeated = len({key.value for key, _ in pairs}) != len(pairs)
            except TypeError:  # a key that is a list or a mapping: look closer
                repeated = True
            if repeated:  # only then look for which key, and skip merge keys
                first: dict[str, tuple[Node, Node]] = {}
                for key, value in pairs:
                    if key.id == "scalar" and not (key.value == "<<" and not key.style):
                        if key.value in first:
                            yield node, first[key.value], (key, value)
                        else:
                            first[key.value] = (key, value)
            for _, value in pairs:
                if value.id != "scalar":
                    push(value)
        elif kind == "sequence":
            for item in node.value:
                if item.id != "scalar":
                    push(item)


def _encloses(doc: Document, node: Node, offset: int) -> bool:
    return doc.offset(node.start_mark) <= offset < doc.offset(node.end_mark)


def _resources(root: Node) -> Iterator[Node]:
    """The document's resource and the items of a ``List`` (mappings)."""
    if not is_mapping(root):
        return
    yield root
    listed = get(root, "items")
    if is_sequence(listed):
        for item in listed.value:
            yield from _resources(item)


def _text(doc: Document, node: Node) -> str:
    return doc.text[doc.offset(node.start_mark) : doc.offset(node.end_mark)]


def duplicate_key_problems(doc: Document, uses: Sequence[ImageUse], markers: Iterable[str]) -> list[Problem]:
    """Duplicate keys that matter: around an automated value (in either copy), or in the
    metadata or top level of a resource that carries automation."""
    markers = tuple(markers)
    spans = [u.span.start for u in uses]
    tops = [r for r in _resources(doc.root) if any(m in _text(doc, r) for m in markers)]
    metas = [m for m in (get(r, "metadata") for r in tops) if is_mapping(m)]
    problems = []
    for mapping, (first, first_value), (again, again_value) in duplicate_keys(doc.root, has_alias(doc.chunk.text)):
        # this reader keeps the first copy, Kubernetes the last: either may hold the image
        on_path = any(_encloses(doc, mapping, s) for s in spans) or any(
            "image" in text for text in (again.value, _text(doc, first_value), _text(doc, again_value))
        )
        in_metadata = any(_encloses(doc, m, doc.offset(mapping.start_mark)) for m in metas)
        if not (on_path or in_metadata or any(mapping is r for r in tops)):
            continue
        problems.append(
            Problem(
                f"{doc.where(again)}: duplicate key {again.value!r} (also at line {doc.line_of(first)}); "
                "Kubernetes and Flux read the last copy, kustomize refuses the file; "
                "remove one of them (file left alone)",
                file=doc.file,
                line=doc.line_of(again),
            )
        )
    return problems


def is_sops_root(root: Node) -> bool:
    sops = get(root, "sops") if is_mapping(root) else None
    return is_mapping(sops) and any(name == "mac" for name, _, _ in items(sops))


def might_be_sops(text: str) -> bool:
    return "sops:" in text and _SOPS_LINE.search(text) is not None  # find() skips ahead, the regex cannot


def sops_problem(file: str, line: int) -> Problem:
    return Problem(
        f"{file}:{line}: SOPS-encrypted file (a top-level 'sops:' block with a MAC); its MAC covers the "
        "values, so a patched file would no longer decrypt; left alone: update the plaintext source and "
        "encrypt it again, or remove the automation from this file",
        file=file,
        line=line,
    )
