"""HelmRelease values in Flux v1's image formats, and dotted value paths.

Formats (``values`` is ``spec.values``), as Flux v1 reads them:

* ``values.image: repo:tag`` -> container ``chart-image`` (also with ``values.tag`` /
  ``values.registry``, or ``values.image.repository`` + ``values.image.tag``);
* ``values.<name>.image: repo:tag``; ``<name>.image`` + ``<name>.tag``;
  ``<name>.image.repository`` + ``<name>.image.tag``; ``<name>.registry`` or
  ``<name>.image.registry`` prefixes the repository;
* explicit paths from annotations (``repository.fluxcd.io/<c>``, ``tag.fluxcd.io/<c>``,
  ``registry.fluxcd.io/<c>``).

Where repository and tag are separate keys only the tag scalar is rewritten; a ``digest:`` key
beside the tag key that holds a digest moves with the tag (:func:`automator.manifest.fields.make_uses`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from automator.errors import ManifestError
from automator.manifest.fields import ImageField
from automator.manifest.yamldoc import Node, get, is_mapping, is_scalar, is_sequence, items

CHART_IMAGE = "chart-image"


def values_of(resource_node: Node) -> Node | None:
    return get(get(resource_node, "spec"), "values") if get(resource_node, "spec") is not None else None


def interpret(container: str, node: Node) -> ImageField | None:
    """Flux v1's ``interpretAsContainer``: a mapping holding an image in one of the formats."""
    if not is_mapping(node):
        return None
    image = get(node, "image")
    if image is None:
        return None
    if is_scalar(image):
        tag, registry = get(node, "tag"), get(node, "registry")
        if tag is not None and is_scalar(tag):
            return ImageField(container, image, tag=tag, registry=registry, split=True, digest=_digest_beside(node))
        # a registry key with a tagged image value: the tag has no key of its own
        return ImageField(container, image, registry=registry, split=registry is not None)
    if is_mapping(image):
        repository = get(image, "repository")
        if repository is None or not is_scalar(repository):
            return None
        registry = get(image, "registry") or get(node, "registry")
        tag = get(image, "tag")
        return ImageField(container, repository, tag=tag, registry=registry, split=True,
                          digest=_digest_beside(image) if tag is not None else None)
    return None


def release_fields(
    values: Node | None, mapped: Mapping[str, Mapping[str, str]]
) -> Iterator[ImageField | ManifestError]:
    """Every image in a HelmRelease's values: the top-level image, named ones, mapped paths."""
    if values is None or not is_mapping(values):
        return
    top = interpret(CHART_IMAGE, values)
    if top is not None:
        yield top
    for name, _, value in items(values):
        if name in mapped:
            continue
        found = interpret(name, value)
        if found is not None:
            yield found
    for container, paths in mapped.items():
        try:
            yield path_field(container, values, paths)
        except ManifestError as error:
            yield error


def path_field(container: str, base: Node, paths: Mapping[str, str]) -> ImageField:
    """An image given by dotted paths (``repository`` [+ ``tag``] [+ ``registry``] or ``image``)."""
    repo_path = paths.get("repository") or paths.get("image")
    if not repo_path:
        raise ManifestError(f"container {container!r}: {_no_repository_path(paths)}")
    repository = resolve_path(base, repo_path, container)
    tag = resolve_path(base, paths["tag"], container) if paths.get("tag") else None
    registry = resolve_path(base, paths["registry"], container) if paths.get("registry") else None
    digest = None
    if tag is not None:
        parent, _, _ = paths["tag"].rpartition(".")
        digest = _digest_beside(resolve_path(base, parent, container) if parent else base)
    return ImageField(container, repository, tag=tag, registry=registry, split=tag is not None, digest=digest)


def _digest_beside(mapping: Node) -> Node | None:
    """The ``digest:`` scalar in the mapping that holds a tag key (Bitnami charts: when set,
    their templates render ``repository@digest`` and the tag is not used)."""
    digest = get(mapping, "digest") if is_mapping(mapping) else None
    return digest if digest is not None and is_scalar(digest) else None


def _no_repository_path(paths: Mapping[str, str]) -> str:
    """Why ``paths`` name no repository: its path is empty, or only other paths are mapped."""
    empty = next((kind for kind in ("repository", "image") if kind in paths), None)
    if empty is not None:
        return f"the {empty} path is empty; write the dotted path to the value"
    others = " and ".join(kind for kind in ("tag", "registry") if kind in paths)
    return f"a {others} path is mapped but no repository path"


def resolve_path(base: Node, path: str, container: str) -> Node:
    node = base
    for part in path.split("."):
        if is_sequence(node) and part.isdigit() and int(part) < len(node.value):
            node = node.value[int(part)]
            continue
        found = get(node, part) if is_mapping(node) else None
        if found is None:
            raise ManifestError(f"container {container!r}: path {path!r} does not exist (missing {part!r})")
        node = found
    return node
