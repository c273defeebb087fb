"""Flux v2 dialects: ``$imagepolicy`` markers (``fluxv2``) and Kustomization images (``kustomize``).

A marker on a one-line scalar says which ImagePolicy governs it and which part of an image
the scalar holds: ``ns:name`` a whole reference, ``ns:name:tag`` a tag, ``ns:name:name`` the
repository name, ``ns:name:digest`` a digest. As in Flux, the marker applies to whatever key
carries it (``newDigest:`` takes ``:digest`` as well as ``digest:`` does). Markers work in
any YAML file (workloads, HelmRelease values, plain values files). Marked fields of the
``images:`` entries of a ``kustomization.yaml``/``kustomization.yml``/``Kustomization`` are
the ``kustomize`` dialect: there the entry's ``name`` is the container and its siblings
(``newTag``, ``digest``/``newDigest``) make up the current image; a bad sibling fails only
its own field.

A whole-reference marker writes ``name:tag`` unless its ImagePolicy's
``digestReflectionPolicy`` is ``Always`` or ``IfNotPresent``; then it writes
``name:tag@sha256:...`` (the digest moves with the tag, see ``RulesRuntime.new_value``).

The policies come from a cheap first pass over the tree
(:func:`automator.manifest.fluxv2.tree.read_catalog`); the locators are then bound to that
catalog (:func:`bind_catalog`), so locating, and re-locating a patched file for
verification, turn each marked field straight into an ImageUse (or a warning, for a policy
that is not in the tree).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import PurePosixPath

from automator.errors import AutomatorError, ImageRefError
from automator.imageref import ImageRef, is_valid_tag, parse_image_ref, split_name
from automator.manifest.fluxv2.catalog import (
    FluxCatalog,
    FluxPolicy,
)
from automator.manifest.fluxv2.marker import MARKER_KEY
from automator.manifest.fluxv2.sites import MarkerSite, marker_sites
from automator.manifest.locate import Locator
from automator.manifest.typos import UNRESOLVED_MARKER, did_you_mean  # typo hints (manifests)
from automator.manifest.yamldoc import Document
from automator.model import ImageUse, Problem

KUSTOMIZATION_NAMES = frozenset({"kustomization.yaml", "kustomization.yml", "Kustomization"})
# where the other parts of a Kustomize images entry are read from (a marker sets any key)
KUSTOMIZE_SIBLINGS = {"tag": ("newTag",), "digest": ("digest", "newDigest")}
PART_KEYS = frozenset({"newTag", "newName", "digest", "newDigest"})
FLUX_V2_DIALECTS = frozenset({"fluxv2", "kustomize"})


def is_kustomization(file: str) -> bool:
    return PurePosixPath(file).name in KUSTOMIZATION_NAMES


def is_kustomize_entry(site: MarkerSite) -> bool:
    return is_kustomization(site.file) and len(site.path) == 2 and site.path[0] == "images"


class FluxV2Locator:
    """``$imagepolicy`` markers anywhere except Kustomization ``images:`` entries.

    A locator is bound to the catalog of the tree (:meth:`bind`); unbound, it knows no
    policy and every marker it meets is reported as naming an unknown policy.
    """

    name = "fluxv2"
    markers = (MARKER_KEY,)

    def __init__(self, catalog: FluxCatalog | None = None) -> None:
        self.catalog = catalog if catalog is not None else FluxCatalog()

    def bind(self, catalog: FluxCatalog) -> FluxV2Locator:
        return type(self)(catalog)

    def wants(self, site: MarkerSite) -> bool:
        return not is_kustomize_entry(site)

    def locate(self, doc: Document) -> Iterator[ImageUse | Problem]:
        sites = [site for site in marker_sites(doc) if self.wants(site)]
        beside = tags_beside(sites)
        for site in sites:
            yield resolve_site(site, self.catalog, dialect=self.name, tag=beside.get((site.path, site.marker.policy)))


class KustomizeImagesLocator(FluxV2Locator):
    """Marked ``newTag``/``newName``/``digest`` of Kustomization ``images:`` entries."""

    name = "kustomize"

    def wants(self, site: MarkerSite) -> bool:
        return is_kustomize_entry(site)


def bind_catalog(locators: Mapping[str, Locator], catalog: FluxCatalog) -> dict[str, Locator]:
    """The same table with the Flux v2 dialects bound to ``catalog`` (others unchanged)."""
    return {
        name: locator.bind(catalog) if isinstance(locator, FluxV2Locator) else locator
        for name, locator in locators.items()
    }


def tags_beside(sites: Sequence[MarkerSite]) -> dict[tuple[tuple[str, ...], str], str]:
    """``(mapping path, policy)`` -> the tag its ``:tag`` marker holds there (when it reads as a tag).

    A ``:digest`` field belongs to the tag of the same policy in the same mapping (Helm values'
    ``tag:`` beside ``digest:``): ``IfNotPresent`` keeps the digest while that tag stays.
    """
    found = {}
    for site in sites:
        if site.marker.field == "tag" and site.value and is_valid_tag(site.value):
            found.setdefault((site.path, site.marker.policy), site.value)
    return found


def resolve_site(site: MarkerSite, catalog: FluxCatalog, *, dialect: str, tag: str | None = None) -> ImageUse | Problem:
    """The ImageUse for one marked field, or a Problem (a warning for an unknown policy);
    ``tag``: the tag marked for the same policy beside it (see :func:`tags_beside`)."""
    where = f"{site.file}:{site.line}"
    policy = catalog.get(site.marker.policy, near=site.file)
    if policy is None:
        return _unknown(site, catalog)
    try:
        outside = catalog.left_alone(policy, site.file)
        if outside:
            return Problem(f"{where}: marker {site.marker.raw!r} is left alone: {outside}, and ImagePolicy "
                           f"{site.marker.policy} is not one of them", file=site.file, line=site.line, severity="warning")
        if site.error or site.span is None:
            raise ValueError(site.error or "the marked value cannot be patched in place")
        return _use(site, policy, dialect, tag)
    except (AutomatorError, ValueError) as error:
        message = error.message if isinstance(error, AutomatorError) else str(error)
        return Problem(
            message=f"{where}: {message}; the value governed by ImagePolicy {site.marker.policy} is left unchanged",
            file=site.file,
            image=policy.repository,
            line=site.line,
        )


_WHERE = " (scan a directory that also holds the ImagePolicy and its ImageRepository)"


def _unknown(site: MarkerSite, catalog: FluxCatalog) -> Problem:
    where, name = f"{site.file}:{site.line}", site.marker.policy
    if name in catalog.broken:
        return Problem(f"{where}: {catalog.broken[name]}; value left unchanged", file=site.file, line=site.line)
    hint = "" if site.marker.valid else ' (write {"$imagepolicy": "<namespace>:<name>"}, optionally with :tag, :name or :digest)'
    return Problem(
        f"{where}: marker {site.marker.raw!r} names ImagePolicy {name}, which is not in the scanned tree"
        f"{did_you_mean(name, [key for key in catalog.policies if key not in catalog.unsure])}; value left unchanged{hint or _WHERE}"
        f"{_templates(catalog.templates)}",
        file=site.file,
        line=site.line,
        severity="warning",
        code=UNRESOLVED_MARKER,
    )


def _templates(files: Sequence[str]) -> str:
    """Where Helm templates of Flux image objects were passed over: one may define the policy."""
    if not files:
        return ""
    shown = ", ".join(files[:3]) + (f" and {len(files) - 3} more" if len(files) > 3 else "")
    return f"; the Helm templates of Flux image objects in {shown} are not read (their objects exist only once the chart is rendered)"


def _policy_ref(policy: FluxPolicy, *, tag: str | None = None, digest: str | None = None) -> ImageRef:
    registry, path = split_name(policy.image_name)
    return ImageRef(registry=registry, path=path, tag=tag, digest=digest, written_name=policy.image_name)


def _tag(value: str | None) -> str | None:
    if not value:
        return None
    if not is_valid_tag(value):
        raise ValueError(f"{value!r} is not a valid image tag")
    return value


def _digest(value: str | None) -> str | None:
    if not value:
        return None
    try:
        parse_image_ref(f"x@{value}")
    except ImageRefError:
        raise ValueError(f"{value!r} is not an image digest (expected sha256:<64 hex digits>)") from None
    return value


def _image(value: str, policy: FluxPolicy) -> ImageRef:
    ref = parse_image_ref(value)
    if not policy.reflects_digest:
        # digestReflectionPolicy Never (Flux's default): Flux writes name:tag, no digest
        ref = replace(ref, digest=None)
    if ref.repository == policy.repository:
        return ref
    # Flux writes the ImageRepository's image over the whole value; so do we.
    return _policy_ref(policy, tag=ref.tag, digest=ref.digest)


def _sibling(siblings: Mapping[str, str], field: str, read) -> str | None:
    """The entry's other part (``newTag``, or ``digest``/``newDigest``) when it reads well.

    A bad sibling fails only its own field (reported on its own line), never this one.
    """
    for key in KUSTOMIZE_SIBLINGS[field]:
        try:
            value = read(siblings.get(key))
        except ValueError:
            return None
        if value:
            return value
    return None


def _use(site: MarkerSite, policy: FluxPolicy, dialect: str, tag_beside: str | None = None) -> ImageUse:
    field = site.marker.field
    sib: Mapping[str, str] = site.siblings if dialect == "kustomize" else {}
    if dialect == "kustomize" and field == "image" and site.key in PART_KEYS:
        raise ValueError(
            f"images[].{site.key} holds a part of an image but carries a marker for a whole reference; "
            "newTag takes :tag, newName takes :name and digest/newDigest take :digest"
        )
    if field == "image":
        ref = _image(site.value, policy)
    elif field == "tag":
        ref = _policy_ref(policy, tag=_tag(site.value), digest=_sibling(sib, "digest", _digest))
    elif field == "digest":
        tag = _sibling(sib, "tag", _tag) if dialect == "kustomize" else tag_beside
        ref = _policy_ref(policy, tag=tag, digest=_digest(site.value))
    else:
        ref = _policy_ref(policy, tag=_sibling(sib, "tag", _tag), digest=_sibling(sib, "digest", _digest))
    assert site.span is not None
    return ImageUse(
        file=site.file,
        line=site.line,
        span=site.span,
        field=field,
        image=ref,
        container=_container(site, dialect),
        policy=policy.spec,
        dialect=dialect,
        workload=site.workload,
        quote=site.quote,
        current=site.value,
    )


def _container(site: MarkerSite, dialect: str) -> str:
    """The entry's or container's ``name`` for ``image`` keys and images entries, else the key path."""
    name = site.siblings.get("name")
    if name and (dialect == "kustomize" or site.key == "image"):
        return name
    return ".".join((*site.path, site.key or "-"))
