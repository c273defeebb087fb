"""Argo CD's parameter override file ``.argocd-source-<app>.yaml``, as its git write-back
method writes it (pure).

Argo marshals the file with two-space indentation and sequences at their key's column::

    helm:
      parameters:
      - name: image.name
        value: ghcr.io/acme/web
        forcestring: true
      - name: image.tag
        value: 1.2.0
        forcestring: true

    kustomize:
      images:
      - web=ghcr.io/acme/web:1.2.0

A new file holds its parameters sorted by name. In an existing file only the values change
(byte for byte, everything else stays); a parameter or image that is missing is added after
the list's last item, indented like it, or in a flow-style list (``images: [a, b]``) inside
the brackets after the last item, in flow style too. A file without the list (only comments,
or a block-style ``helm:`` holding other settings such as ``releaseName``) gains it, as Argo
merges its parameters into whatever file is there: after the section's last key, or with the
section at the file's end.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from automator.errors import ManifestError
from automator.manifest.yamldoc import (
    Document,
    Node,
    get,
    get_path,
    is_mapping,
    is_sequence,
    text_of,
)

VALUE = "{value}"


def helm_entries(params: Sequence[tuple[str, str]], dash: int = 0, inner: int | None = None) -> str:
    """``- name/value/forcestring`` items for ``(name, value)`` pairs, sorted by name.

    ``dash`` is the column of ``-``, ``inner`` the column of the item's keys (``dash + 2``).
    """
    inner = dash + 2 if inner is None else inner
    head, pad = " " * dash + "-" + " " * (inner - dash - 1), " " * inner
    return "".join(
        f"{head}name: {name}\n{pad}value: {value}\n{pad}forcestring: true\n" for name, value in sorted(params)
    )


def helm_flow_entries(params: Sequence[tuple[str, str]]) -> str:
    """The same items in flow style, joined by ``, `` (for a flow-style list)."""
    return ", ".join(
        "{name: " + name + ", value: " + value + ", forcestring: true}" for name, value in sorted(params)
    )


def new_helm_file(params: Sequence[tuple[str, str]]) -> str:
    return "helm:\n  parameters:\n" + helm_entries(params, 2)


def kustomize_entry(name: str, dash: int = 0, inner: int | None = None) -> str:
    inner = dash + 2 if inner is None else inner
    return f"{' ' * dash}-{' ' * (inner - dash - 1)}{name}{VALUE}\n"


def new_kustomize_file(prefix: str) -> str:
    return "kustomize:\n  images:\n" + kustomize_entry(prefix, 2)


def helm_parameters(root: Node) -> tuple[Node | None, dict[str, Node]]:
    """The ``helm.parameters`` sequence and its ``name -> value node`` (None when absent)."""
    listed = get_path(root, "helm", "parameters") if is_mapping(root) else None
    if not is_sequence(listed):
        return None, {}
    found = {}
    for item in listed.value:
        name = text_of(get(item, "name")) if is_mapping(item) else None
        value = get(item, "value") if is_mapping(item) else None
        if name and value is not None:
            found[name] = value
    return listed, found


def kustomize_images(root: Node) -> Node | None:
    listed = get_path(root, "kustomize", "images") if is_mapping(root) else None
    return listed if is_sequence(listed) else None


def added_items(doc: Document, listed: Node, block: Callable[[int, int], str], flow: str) -> tuple[int, str]:
    """Where and what to write to add items to an existing list: ``block(dash column, item
    column)`` after the last item of a block sequence, or ``flow`` inside a flow sequence."""
    if getattr(listed, "flow_style", False):
        return flow_append_point(doc, listed, flow)
    offset, dash, inner = append_point(doc, listed)
    return offset, block(dash, inner)


def flow_append_point(doc: Document, listed: Node, flow: str) -> tuple[int, str]:
    """Right after the last item of a flow sequence (``, `` and the items), or before the
    closing ``]`` of an empty one (the items alone): a trailing comma or comment stays after."""
    if not listed.value:
        return doc.offset(listed.end_mark) - 1, flow
    return doc.offset(listed.value[-1].end_mark), ", " + flow


def append_point(doc: Document, listed: Node) -> tuple[int, int, int]:
    """Where a new item goes after the last one of a block sequence, and its columns.

    Returns ``(offset, dash column, item column)``; the offset is the start of the line after
    the last item (the text's end when there is no further line).
    """
    last = listed.value[-1]
    start = doc.offset(last.start_mark)
    line_start = doc.text.rfind("\n", 0, start) + 1
    column = start - line_start
    dash = doc.text.rfind("-", line_start, start)
    dash_column = dash - line_start if dash >= 0 else max(column - 2, 0)
    deepest = last
    while is_mapping(deepest) or is_sequence(deepest):
        if not deepest.value:
            break
        deepest = deepest.value[-1][1] if is_mapping(deepest) else deepest.value[-1]
    newline = doc.text.find("\n", doc.offset(deepest.end_mark))  # after the item's last line
    end = len(doc.text) if newline < 0 else newline + 1
    return end, dash_column, column


def list_start(doc: Document, section: str, key: str, items: Callable[[int], str]) -> tuple[int, str]:
    """Where and what to write to start the list ``section.key`` (``helm.parameters``) that the
    file lacks, ``items(column)`` being its items with their dashes at ``column``: after the
    last key of a block-style section, at its keys' column; or the section and the list at
    the end of a document that is empty, only comments, or a block mapping without the section.
    ManifestError for any other shape (a flow-style mapping, a section that is no mapping)."""
    root = doc.root
    at_top = root is None or (is_mapping(root) and not getattr(root, "flow_style", False)
                              and root.value[0][0].start_mark.column == 0)
    node = get(root, section) if is_mapping(root) else None
    if at_top and node is None:  # at the end of the document
        return doc.chunk.start + len(doc.chunk.text), f"{section}:\n  {key}:\n" + items(2)
    if is_mapping(node) and node.value and not getattr(node, "flow_style", False) and get(node, key) is None:
        column = node.value[0][0].start_mark.column
        last = node.value[-1][1]
        while (is_mapping(last) or is_sequence(last)) and last.value:
            last = last.value[-1][1] if is_mapping(last) else last.value[-1]
        newline = doc.text.find("\n", doc.offset(last.end_mark))
        offset = len(doc.text) if newline < 0 else newline + 1
        return offset, f"{' ' * column}{key}:\n" + items(column)
    raise ManifestError(f"the file has no {section}.{key} list to add the image to")
