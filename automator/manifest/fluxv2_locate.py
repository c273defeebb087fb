"""Locate fields governed by Flux v2 ``$imagepolicy`` markers (pure: text in, uses out).

A marker on a one-line scalar says which ImagePolicy governs it and which part of an image
the scalar holds: ``ns:name`` a whole reference, ``ns:name:tag`` a tag, ``ns:name:name`` the
repository name, ``ns:name:digest`` a digest. Markers work in any YAML file (workloads,
HelmRelease values, plain values files); Kustomization ``images:`` entries get their own
dialect (``kustomize``) because their siblings (``name``, ``newName``, ``newTag``,
``digest``) together make one image.

The repository that a marked field belongs to is the one its ImagePolicy's ImageRepository
scans, as in Flux; the current reference of a split field is assembled from its siblings.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePosixPath

from automator.errors import ImageRefError
from automator.imageref import ImageRef, is_valid_tag, parse_image_ref, split_name
from automator.manifest.fluxv2_catalog import FluxCatalog, FluxPolicy
from automator.manifest.fluxv2_marker import MARKER_KEY, Marker, parse_marker
from automator.manifest.yamlline import ScalarLine
from automator.manifest.yamlshape import Placed, shape, siblings
from automator.model import ImageUse, Problem, Span

DIALECT = "fluxv2"
KUSTOMIZE_DIALECT = "kustomize"
KUSTOMIZATION_NAMES = frozenset({"kustomization.yaml", "kustomization.yml", "Kustomization"})
KUSTOMIZE_FIELDS = {"newTag": "tag", "newName": "name", "digest": "digest"}


def screen(text: str) -> bool:
    """Cheap test: could this text hold a marker?"""
    return MARKER_KEY in text


def is_kustomization(file: str) -> bool:
    return PurePosixPath(file).name in KUSTOMIZATION_NAMES


def _in_images_entry(file: str, placed: Placed) -> bool:
    return placed.path == ("images",) and is_kustomization(file)


def locate_markers(text: str, file: str, catalog: FluxCatalog) -> tuple[list[ImageUse], list[Problem]]:
    """Fields marked ``$imagepolicy`` outside Kustomization ``images:`` entries."""
    return _locate(text, file, catalog, kustomize=False)


def locate_kustomize_images(text: str, file: str, catalog: FluxCatalog) -> tuple[list[ImageUse], list[Problem]]:
    """Marked ``newTag``/``newName``/``digest`` fields of a kustomization file's ``images:``."""
    if not is_kustomization(file):
        return [], []
    return _locate(text, file, catalog, kustomize=True)


def _locate(text: str, file: str, catalog: FluxCatalog, *, kustomize: bool) -> tuple[list[ImageUse], list[Problem]]:
    uses: list[ImageUse] = []
    problems: list[Problem] = []
    if not screen(text):
        return uses, problems
    placed = shape(text)
    for item in placed:
        scalar = item.scalar
        if not scalar.value or MARKER_KEY not in scalar.comment:
            continue
        if _in_images_entry(file, item) != kustomize:
            continue
        marker = parse_marker(scalar.comment)
        if marker is None:
            continue
        where = f"{file}:{scalar.line}"
        policy = catalog.get(marker.policy)
        if policy is None:
            problems.append(_unknown(file, scalar.line, marker, catalog))
            continue
        try:
            sibling = siblings(placed, item.mapping) if item.mapping >= 0 else {}
            uses.append(_use(file, item, marker, policy, sibling, kustomize=kustomize))
        except (ImageRefError, ValueError) as error:
            problems.append(
                Problem(
                    message=f"{where}: {error}; the value governed by ImagePolicy {marker.policy} is left unchanged",
                    file=file,
                    image=policy.repository,
                    line=scalar.line,
                )
            )
    return uses, problems


def _unknown(file: str, line: int, marker: Marker, catalog: FluxCatalog) -> Problem:
    where = f"{file}:{line}"
    if marker.policy in catalog.broken:
        return Problem(
            message=f"{where}: ImagePolicy {marker.policy} cannot be used ({catalog.broken[marker.policy]}); value left unchanged",
            file=file,
            line=line,
        )
    hint = "" if marker.valid else ' (a marker reads {"$imagepolicy": "<namespace>:<name>"} with an optional :tag, :name or :digest)'
    return Problem(
        message=f"{where}: marker names ImagePolicy {marker.raw!r}, which is not in the scanned tree; value left unchanged{hint}",
        file=file,
        line=line,
        severity="warning",
    )


def _policy_ref(policy: FluxPolicy, *, tag: str | None = None, digest: str | None = None) -> ImageRef:
    registry, path = split_name(policy.image_name)
    return ImageRef(registry=registry, path=path, tag=tag, digest=digest, written_name=policy.image_name)


def _tag(value: str) -> str | None:
    if not value:
        return None
    if not is_valid_tag(value):
        raise ValueError(f"{value!r} is not a valid image tag")
    return value


def _digest(value: str) -> str | None:
    if not value:
        return None
    try:
        parse_image_ref(f"x@{value}")
    except ImageRefError:
        raise ValueError(f"{value!r} is not an image digest (expected sha256:<64 hex digits>)") from None
    return value


def _image(value: str, policy: FluxPolicy) -> ImageRef:
    ref = parse_image_ref(value)
    if ref.repository == policy.repository:
        return ref
    # Flux writes the ImageRepository's image over the whole value; so do we.
    return _policy_ref(policy, tag=ref.tag, digest=ref.digest)


def _use(
    file: str,
    placed: Placed,
    marker: Marker,
    policy: FluxPolicy,
    sibling: Mapping[str, ScalarLine],
    *,
    kustomize: bool,
) -> ImageUse:
    scalar = placed.scalar
    value = scalar.text
    container = placed.workload or file
    if kustomize:
        expected = KUSTOMIZE_FIELDS.get(scalar.key or "")
        if expected != marker.field:
            raise ValueError(
                f"a :{marker.field if marker.field != 'image' else ''} marker on images[].{scalar.key}"
                " does not fit (newTag takes :tag, newName takes :name, digest takes :digest)"
            )
        container = sibling["name"].text if "name" in sibling else container
    tag = _tag(sibling["newTag"].text) if kustomize and "newTag" in sibling else None
    digest = _digest(sibling["digest"].text) if kustomize and "digest" in sibling else None
    if marker.field == "image":
        ref = _image(value, policy)
    elif marker.field == "tag":
        ref = _policy_ref(policy, tag=_tag(value), digest=digest)
    elif marker.field == "digest":
        ref = _policy_ref(policy, tag=tag, digest=_digest(value))
    else:
        ref = _policy_ref(policy, tag=tag, digest=digest)
    return ImageUse(
        file=file,
        line=scalar.line,
        span=Span(scalar.start, scalar.end),
        field=marker.field,
        image=ref,
        container=container if kustomize else (_container(placed, sibling) or container),
        policy=policy.spec,
        dialect=KUSTOMIZE_DIALECT if kustomize else DIALECT,
        workload=placed.workload,
    )


def _container(placed: Placed, sibling: Mapping[str, ScalarLine]) -> str:
    """A readable name for the field: its container's name, else its key path."""
    if "name" in sibling and placed.scalar.key != "name":
        return sibling["name"].text
    return ".".join((*placed.path, placed.scalar.key or "-"))
