"""The ``argocd`` dialect: the fields Argo CD Image Updater's git write-back would change.

The locator is bound to the Applications of the tree (:func:`bind_apps`) and to the files
their updates go to (``targets``: file -> Applications). For each file it finds:

* ``.argocd-source-<app>.yaml``: the Helm parameters (``helm.image-name``/``-tag`` or
  ``-spec``, by default ``image.name`` and ``image.tag``) or the Kustomize images entry; a
  missing parameter or entry (or list) is a field to insert (``ImageUse.insert``); a tag
  parameter whose name parameter is missing is one field written in two places (a companion,
  :func:`companion`), as Argo writes the name only with a new tag;
* ``write-back-target: kustomization``: the kustomization's ``images:`` entry (``newTag``, its
  ``digest`` when it has one, and ``newName`` with ``kustomize.image-name``: a missing one is
  added by its ``newTag`` field, a companion too);
* ``write-back-target: helmvalues``: the values file at the configured keys (a dotted key
  written flat, or nested; ``images[0].tag`` names an item of a list, as in Argo).

A Helm name field (parameter or values key) is located even when it already names the image:
Argo sets it to the image on every write, and a patch that corrects it must find it again.

Reports show the image's alias as the container and ``Application/<name>`` as the workload.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import field, replace

from automator.errors import AutomatorError, ManifestError
from automator.imageref import ImageRef, parse_image_ref, split_name
from automator.manifest.argocd.catalog import ArgoApp
from automator.manifest.argocd.config import DEFAULT_HELM_NAME, DEFAULT_HELM_TAG, ImageSettings
from automator.manifest.argocd.overrides import (
    VALUE,
    added_items,
    helm_entries,
    helm_flow_entries,
    helm_parameters,
    kustomize_entry,
    kustomize_images,
    list_start,
)
from automator.manifest.yamldoc import (
    Document,
    Node,
    get,
    is_mapping,
    is_sequence,
    text_of,
)
from automator.model import ImageUse, Problem, Span
from automator.values import value_type

DIALECT = "argocd"
OVERRIDE, KUSTOMIZATION, HELMVALUES = "override", "kustomization", "helmvalues"
ARRAY_INDEX = re.compile(r"(.*)\[(\d+)\]")  # a values key's list item: Argo's arrayIndexPattern
THEN = "{then}"  # in a companion's template: the tag's new value before it, the text added at its span after it


@value_type
class Target:
    """One Application whose updates go to a file, and how (``override``/``kustomization``/``helmvalues``)."""

    app: ArgoApp
    kind: str
    app_kind: str  # helm or kustomize


UNBOUND_MARKERS = ("argocd-image-updater.argoproj.io/image-list",)  # unbound: no target, nothing found


@value_type
class ArgoLocator:
    name: str = DIALECT
    targets: Mapping[str, tuple[Target, ...]] = field(default_factory=dict)
    markers: tuple[str, ...] = UNBOUND_MARKERS
    tags_alone: bool = False  # a companion located as its tag alone (patching writes the tag there)

    @property
    def files(self) -> frozenset[str] | None:
        """The only files it reads once bound (its targets); None: any file with a marker."""
        return frozenset(self.targets) if self.targets else None

    def locate(self, doc: Document) -> Iterator[ImageUse | Problem]:
        for target in self.targets.get(doc.file, ()):
            for image in target.app.images:
                try:
                    if target.kind == OVERRIDE:
                        yield from override_uses(doc, target, image, self.tags_alone)
                    elif target.kind == KUSTOMIZATION:
                        yield from kustomization_uses(doc, target, image, self.tags_alone)
                    else:
                        yield from helmvalues_uses(doc, target, image)
                except (AutomatorError, ValueError) as error:
                    message = error.message if isinstance(error, AutomatorError) else str(error)
                    yield _problem(doc, target, image, message)


def bind_apps(locators: Mapping[str, object], targets: Mapping[str, Sequence[Target]]) -> dict[str, object]:
    """The table with the ``argocd`` dialect bound to the tree's write-back targets."""
    if not targets:
        return {**locators, DIALECT: ArgoLocator()}
    keys = markers_for(targets)
    bound = ArgoLocator(targets={f: tuple(t) for f, t in targets.items()}, markers=keys)
    return {**locators, DIALECT: bound}


def markers_for(targets: Mapping[str, Sequence[Target]]) -> tuple[str, ...]:
    """What the target files must mention to be located: the lists of override files, and the
    tag (or spec) key (a name field is located only beside it, and "name" is everywhere)."""
    keys = {"parameters", "images"}
    for found in targets.values():
        for target in found:
            for image in target.app.images:
                keys.update(k.rpartition(".")[2] for kind, k in _helm_keys(image).items() if kind != "name")
    return tuple(sorted(keys))


def _problem(doc: Document, target: Target, image: ImageSettings, message: str, line: int | None = None) -> Problem:
    return Problem(
        f"{doc.file}{f':{line}' if line else ''}: {target.app.label} image {image.label}: {message}; left unchanged",
        file=doc.file, image=image.repository, line=line,
    )


def _helm_keys(image: ImageSettings) -> dict[str, str]:
    """field kind -> Helm parameter or values key."""
    if image.helm_spec:
        return {"image": image.helm_spec}
    return {"name": image.helm_name or DEFAULT_HELM_NAME, "tag": image.helm_tag or DEFAULT_HELM_TAG}


def _ref(image: ImageSettings, tag: str | None, digest: str | None = None) -> ImageRef:
    registry, path = split_name(image.image)
    return ImageRef(registry=registry, path=path, tag=tag or None, digest=digest, written_name=image.image)


def _use(doc: Document, target: Target, image: ImageSettings, node: Node, field_kind: str, ref: ImageRef) -> ImageUse:
    span, quote = doc.scalar(node)
    return ImageUse(
        file=doc.file, line=doc.line_of(node), span=span, field=field_kind, image=ref,  # type: ignore[arg-type]
        container=image.label, policy=image.policy, dialect=DIALECT, workload=f"Application/{target.app.name}",
        quote=quote, current=doc.text[span.start : span.end],
    )


def insertion(file: str, text: str, offset: int, template: str, field_kind: str, image: ImageSettings,
              target: Target, ref: ImageRef) -> ImageUse:
    """A field to add at ``offset`` (``template`` holds ``{value}`` where the new value goes,
    its lines end in LF and are written with the file's own line ending)."""
    template = placed(text, offset, template)
    line = text.count("\n", 0, offset) + 1 + template[: template.index(VALUE)].count("\n")
    return ImageUse(
        file=file, line=line, span=Span(offset, offset), field=field_kind, image=ref,  # type: ignore[arg-type]
        container=image.label, policy=image.policy, dialect=DIALECT, workload=f"Application/{target.app.name}",
        quote="", current="", insert=template,
    )


def placed(text: str, offset: int, template: str) -> str:
    """``template`` as written at ``offset``: in the file's line ending, after the line ending
    that a file lacking its last one gets first."""
    if offset == len(text) and text and not text.endswith("\n"):
        template = "\n" + template
    return template.replace("\n", line_ending(text))


def line_ending(text: str) -> str:
    """The line ending of the file's first line: CRLF or (also without any line) LF."""
    end = text.find("\n")
    return "\r\n" if end > 0 and text[end - 1] == "\r" else "\n"


def override_uses(doc: Document, target: Target, image: ImageSettings, tags_alone: bool = False) -> Iterator[ImageUse | Problem]:
    root = doc.root
    if target.app_kind == "kustomize":
        yield from _override_kustomize(doc, target, image, root)
        return
    listed, present = helm_parameters(root)
    keys = _helm_keys(image)
    tag_node = present.get(keys.get("tag", ""))
    current_tag = text_of(tag_node) if tag_node is not None else None
    missing = [(kind, key) for kind, key in keys.items() if key not in present]
    kinds = [kind for kind, _ in missing]
    found: list[ImageUse] = []
    for kind, key in keys.items():
        if key in present:
            node = present[key]
            value = text_of(node) or ""
            if kind == "name":  # located even when it names the image: Argo sets it on every write
                found.append(_use(doc, target, image, node, "name", _ref(image, current_tag)))
            elif kind == "tag":
                found.append(_use(doc, target, image, node, "tag", _ref(image, value)))
            else:
                written = parse_image_ref(value)
                found.append(_use(doc, target, image, node, "image", _ref(image, written.tag, written.digest)))
    if kinds == ["name"] and listed is not None and not tags_alone:
        # only the name is missing: Argo adds it when it writes a new tag, never on its own
        params = [(missing[0][1], image.image)]
        offset, template = added_items(doc, listed, lambda dash, inner: helm_entries(params, dash, inner), helm_flow_entries(params))
        found = [companion(doc.text, use, offset, template) if use.field == "tag" else use for use in found]
    yield from found
    if not missing or kinds == ["name"]:
        return
    # Argo merges every parameter of the image into the file: a missing name is added too
    field_kind = next(kind for kind in ("image", "tag") if kind in kinds)
    params = [(key, VALUE if kind == field_kind else image.image) for kind, key in missing]
    if listed is None:
        offset, template = list_start(doc, "helm", "parameters", lambda column: helm_entries(params, column))
    else:
        offset, template = added_items(doc, listed, lambda dash, inner: helm_entries(params, dash, inner), helm_flow_entries(params))
    yield insertion(doc.file, doc.text, offset, template, field_kind, image, target, _ref(image, current_tag))


def companion(text: str, tag: ImageUse, offset: int, template: str) -> ImageUse:
    """The tag field ``tag`` that adds ``template`` (the missing name parameter) at ``offset``
    when it moves: one field, so it is planned, reported and counted once, and nothing is
    written while its tag stays. Its span is the (empty) span where the name goes and its line
    the tag's; its text is the tag's new value, :data:`THEN`, and the name parameter. Patching
    locates the file with ``tags_alone`` to find the tag's value again
    (:func:`automator.manifest.argocd.patching.patch_with_insertions`)."""
    return replace(tag, span=Span(offset, offset), current="", insert=VALUE + THEN + placed(text, offset, template))


def _override_kustomize(doc: Document, target: Target, image: ImageSettings, root: Node) -> Iterator[ImageUse | Problem]:
    listed = kustomize_images(root)
    wanted = image.kustomize_name or image.image
    for node in listed.value if listed is not None else ():
        text = text_of(node) or ""
        alias, sep, rest = text.partition("=")
        name_part = alias if sep else _name_of(text)
        if name_part != wanted and not (not sep and _same(name_part, image.image)):
            continue
        written = parse_image_ref(rest if sep else text)
        use = _use(doc, target, image, node, "image", _ref(image, written.tag, written.digest))
        yield replace(use, insert=f"{alias}={VALUE}") if sep else use  # the value after 'alias=' moves
        return
    prefix = f"{image.kustomize_name}=" if image.kustomize_name else ""
    if listed is None:
        offset, template = list_start(doc, "kustomize", "images", lambda column: kustomize_entry(prefix, column))
    else:
        offset, template = added_items(doc, listed, lambda dash, inner: kustomize_entry(prefix, dash, inner), prefix + VALUE)
    yield insertion(doc.file, doc.text, offset, template, "image", image, target, _ref(image, None))


def _name_of(text: str) -> str:
    try:
        return parse_image_ref(text).written_name
    except AutomatorError:
        return text


def _same(a: str, b: str) -> bool:
    try:
        return parse_image_ref(a).repository == parse_image_ref(b).repository
    except AutomatorError:
        return False


def kustomization_uses(doc: Document, target: Target, image: ImageSettings, tags_alone: bool = False) -> Iterator[ImageUse | Problem]:
    """The kustomization's ``images:`` entry, as ``kustomize edit set image`` would set it: its
    ``newTag``; its ``digest`` too when it has one (kustomize deploys the digest, so it moves
    with the tag); and with ``kustomize.image-name``, ``newName``. A missing ``newName`` is
    added by the ``newTag`` field (a :func:`companion`), as Argo writes it only with a new tag."""
    listed = get(doc.root, "images") if is_mapping(doc.root) else None
    wanted = image.kustomize_name or image.image
    for entry in listed.value if is_sequence(listed) else ():
        name = text_of(get(entry, "name")) if is_mapping(entry) else None
        if name is None or (name != wanted and not _same(name, wanted)):
            continue
        tag, digest = get(entry, "newTag"), get(entry, "digest")
        current_tag = text_of(tag) if tag is not None else None
        current_digest = text_of(digest) if digest is not None else None
        if tag is None:
            raise ManifestError(f"images entry {name!r} has no newTag to update; add newTag")
        ref = _ref(image, current_tag, current_digest)
        uses = [_use(doc, target, image, tag, "tag", ref)]
        if digest is not None:
            uses.append(_use(doc, target, image, digest, "digest", ref))
        new_name = get(entry, "newName") if image.kustomize_name else None
        if new_name is not None:
            uses.append(_use(doc, target, image, new_name, "name", ref))
        elif image.kustomize_name and not tags_alone:
            uses[0] = companion(doc.text, uses[0], *_new_name_at(doc, entry, image.image))
        yield from uses
        return
    raise ManifestError(f"no images entry named {wanted!r} in the kustomization; add one with newTag")


def _new_name_at(doc: Document, entry: Node, name: str) -> tuple[int, str]:
    """Where the entry's missing ``newName: name`` goes, and its text: after the entry's last
    key, in its style (a line at the keys' column, or ``, newName: x`` in a flow mapping), so
    no field located before moves to another line."""
    last = entry.value[-1][1]
    if getattr(entry, "flow_style", False):
        return doc.offset(last.end_mark), f", newName: {name}"
    column = entry.value[0][0].start_mark.column
    newline = doc.text.find("\n", doc.offset(_deepest(last).end_mark))
    return len(doc.text) if newline < 0 else newline + 1, f"{' ' * column}newName: {name}\n"


def _deepest(node: Node) -> Node:
    """The last scalar of a node (its own end for a scalar or an empty collection)."""
    while (is_mapping(node) or is_sequence(node)) and node.value:
        node = node.value[-1][1] if is_mapping(node) else node.value[-1]
    return node


def helmvalues_uses(doc: Document, target: Target, image: ImageSettings) -> Iterator[ImageUse | Problem]:
    keys = _helm_keys(image)
    nodes = {kind: _values_node(doc.root, key) for kind, key in keys.items()}
    missing = [keys[k] for k, node in nodes.items() if node is None]
    if missing and len(missing) == len(keys) and _addable(doc, keys.values()):
        yield _values_insertion(doc, target, image, keys)  # Argo creates the keys, nested
        return
    if missing:
        raise ManifestError(f"the values file has no {', '.join(missing)}; add it")
    tag_node = nodes.get("tag")
    current_tag = text_of(tag_node) if tag_node is not None else None
    for kind, node in nodes.items():
        if kind == "image":
            written = parse_image_ref(text_of(node) or "")
            yield _use(doc, target, image, node, "image", _ref(image, written.tag, written.digest))
        else:  # a name field too when it names the image: Argo sets it on every write
            yield _use(doc, target, image, node, kind, _ref(image, current_tag))


def _addable(doc: Document, keys) -> bool:
    """Keys can be appended as a new top-level block: none of their first parts is there yet,
    and none indexes a list (``images[0].tag`` names an item that must exist)."""
    empty = doc.root is None  # only comments
    return (empty or is_mapping(doc.root)) and all("[" not in key and (empty or get(doc.root, key.partition(".")[0]) is None)
                                                   for key in keys)


def _values_insertion(doc: Document, target: Target, image: ImageSettings, keys: Mapping[str, str]) -> ImageUse:
    return values_insertion(doc.file, doc.text, target, image)


def values_insertion(file: str, text: str, target: Target, image: ImageSettings) -> ImageUse:
    """The keys added at the end of the values file, nested as Argo writes them (tag first)."""
    keys = _helm_keys(image)
    order = sorted(keys.items(), key=lambda item: ("tag", "image", "name").index(item[0]))
    lines: list[str] = []
    written: list[tuple[str, ...]] = []
    for kind, key in order:
        parts = tuple(key.split("."))
        shared = max((n for n in range(len(parts)) for w in written if w[:n] == parts[:n]), default=0)
        for depth in range(shared, len(parts) - 1):
            lines.append(f"{'  ' * depth}{parts[depth]}:\n")
        value = image.image if kind == "name" else VALUE
        lines.append(f"{'  ' * (len(parts) - 1)}{parts[-1]}: {value}\n")
        written.append(parts)
    field_kind = "image" if "image" in keys else "tag"
    return insertion(file, text, len(text), "".join(lines), field_kind, image, target, _ref(image, None))


def _values_node(root: Node, key: str) -> Node | None:
    """The value at a dotted key: written flat (``image.tag: x``) or nested (``image: {tag: x}``),
    where a part ``name[n]`` is item ``n`` of the list at ``name`` (as Argo reads
    ``images[0].tag``); None when a key is missing, ManifestError when an index is not there."""
    if not is_mapping(root):
        return None
    flat = get(root, key)
    if flat is not None:
        return flat
    node: Node | None = root
    for part in key.split("."):
        name, index = split_index(part)
        node = get(node, name) if is_mapping(node) else None
        if node is None:
            return None
        if index is not None:
            if not is_sequence(node):
                raise ManifestError(f"the values key {key}: {name} is not a list")
            if index >= len(node.value):
                raise ManifestError(f"the values key {key}: {name} has no item {index} (it has {len(node.value)})")
            node = node.value[index]
    return node if node is not None and not is_mapping(node) and not is_sequence(node) else None


def split_index(part: str) -> tuple[str, int | None]:
    """``images[0]`` -> ``("images", 0)``; a part without an index -> ``(part, None)``."""
    found = ARRAY_INDEX.fullmatch(part)
    return (found.group(1), int(found.group(2))) if found else (part, None)


__all__ = ["THEN", "ArgoLocator", "Target", "bind_apps", "companion", "insertion"]
