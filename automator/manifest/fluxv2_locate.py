"""Flux v2 dialects: ``$imagepolicy`` markers (``fluxv2``) and Kustomization images (``kustomize``).

A marker on a one-line scalar says which ImagePolicy governs it and which part of an image
the scalar holds: ``ns:name`` a whole reference, ``ns:name:tag`` a tag, ``ns:name:name`` the
repository name, ``ns:name:digest`` a digest. Markers work in any YAML file (workloads,
HelmRelease values, plain values files). Marked ``newTag``/``newName``/``digest`` fields of
the ``images:`` entries of a ``kustomization.yaml``/``kustomization.yml``/``Kustomization``
are the ``kustomize`` dialect: there the entry's ``name`` is the container and its siblings
make up the current image.

Locating is one pass: while the tree is streamed, each locator reports the marked fields and
the ImagePolicy/ImageRepository objects it meets as facts; :meth:`resolve` builds the
catalog once the whole tree was seen and turns every marked field into an ImageUse (or a
warning, for a policy that is not in the tree).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import PurePosixPath

from automator.errors import AutomatorError, ImageRefError
from automator.imageref import ImageRef, is_valid_tag, parse_image_ref, split_name
from automator.manifest.fluxv2_catalog import (
    CatalogBuilder,
    FluxCatalog,
    FluxPolicy,
    is_flux_image_object,
)
from automator.manifest.fluxv2_marker import MARKER_KEY
from automator.manifest.fluxv2_sites import MarkerSite, marker_sites, to_data
from automator.manifest.locate import Fact
from automator.manifest.yamldoc import Document
from automator.model import ImageUse, Problem

KUSTOMIZATION_NAMES = frozenset({"kustomization.yaml", "kustomization.yml", "Kustomization"})
KUSTOMIZE_FIELDS = {"newTag": "tag", "newName": "name", "digest": "digest"}
SITE, OBJECT = "marker", "object"


def is_kustomization(file: str) -> bool:
    return PurePosixPath(file).name in KUSTOMIZATION_NAMES


def is_kustomize_entry(site: MarkerSite) -> bool:
    return is_kustomization(site.file) and len(site.path) == 2 and site.path[0] == "images"


class FluxV2Locator:
    """``$imagepolicy`` markers anywhere except Kustomization ``images:`` entries."""

    name = "fluxv2"
    markers = (MARKER_KEY, "ImagePolicy", "ImageRepository")
    reports_catalog = True  # problems of ImagePolicy/ImageRepository objects are told once

    def wants(self, site: MarkerSite) -> bool:
        return not is_kustomize_entry(site)

    def locate(self, doc: Document) -> Iterator[Fact]:
        data = to_data(doc.root) if "image.toolkit.fluxcd.io/" in doc.chunk.text else None
        if is_flux_image_object(data):
            key = f"{data['kind']}:{doc.file}:{doc.first_line}"
            yield Fact(self.name, OBJECT, key, doc.file, (data, doc.first_line))
        for site in marker_sites(doc):
            if self.wants(site):
                yield Fact(self.name, SITE, site.marker.policy, doc.file, site)

    def resolve(self, uses: Sequence[ImageUse], facts: Sequence[Fact]) -> Iterator[ImageUse | Problem]:
        yield from uses
        builder = CatalogBuilder()
        for fact in facts:
            if fact.kind == OBJECT:
                data, line = fact.data
                builder.add(fact.file, data, line)
        catalog = builder.build()
        if self.reports_catalog:
            yield from catalog.problems
        for fact in facts:
            if fact.kind == SITE:
                yield resolve_site(fact.data, catalog, dialect=self.name)


class KustomizeImagesLocator(FluxV2Locator):
    """Marked ``newTag``/``newName``/``digest`` of Kustomization ``images:`` entries."""

    name = "kustomize"
    reports_catalog = False

    def wants(self, site: MarkerSite) -> bool:
        return is_kustomize_entry(site)


def resolve_site(site: MarkerSite, catalog: FluxCatalog, *, dialect: str) -> ImageUse | Problem:
    """The ImageUse for one marked field, or a Problem (a warning for an unknown policy)."""
    where = f"{site.file}:{site.line}"
    policy = catalog.get(site.marker.policy)
    if policy is None:
        return _unknown(site, catalog)
    try:
        if site.error or site.span is None:
            raise ValueError(site.error.removeprefix(f"{where}: ") or "the marked value cannot be patched in place")
        return _use(site, policy, dialect)
    except (AutomatorError, ValueError) as error:
        message = error.message if isinstance(error, AutomatorError) else str(error)
        return Problem(
            message=f"{where}: {message}; the value governed by ImagePolicy {site.marker.policy} is left unchanged",
            file=site.file,
            image=policy.repository,
            line=site.line,
        )


def _unknown(site: MarkerSite, catalog: FluxCatalog) -> Problem:
    where, name = f"{site.file}:{site.line}", site.marker.policy
    if name in catalog.broken:
        return Problem(f"{where}: {catalog.broken[name]}; value left unchanged", file=site.file, line=site.line)
    hint = "" if site.marker.valid else ' (write {"$imagepolicy": "<namespace>:<name>"}, optionally with :tag, :name or :digest)'
    return Problem(
        f"{where}: marker names ImagePolicy {site.marker.raw!r}, which is not in the scanned tree; value left unchanged{hint}",
        file=site.file,
        line=site.line,
        severity="warning",
    )


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
    if ref.repository == policy.repository:
        return ref
    # Flux writes the ImageRepository's image over the whole value; so do we.
    return _policy_ref(policy, tag=ref.tag, digest=ref.digest)


def _use(site: MarkerSite, policy: FluxPolicy, dialect: str) -> ImageUse:
    field = site.marker.field
    sib: Mapping[str, str] = site.siblings if dialect == "kustomize" else {}
    if dialect == "kustomize" and KUSTOMIZE_FIELDS.get(site.key or "") != field:
        raise ValueError(
            f"images[].{site.key} carries a marker for the {field}; "
            "newTag takes :tag, newName takes :name and digest takes :digest"
        )
    if field == "image":
        ref = _image(site.value, policy)
    elif field == "tag":
        ref = _policy_ref(policy, tag=_tag(site.value), digest=_digest(sib.get("digest")))
    elif field == "digest":
        ref = _policy_ref(policy, tag=_tag(sib.get("newTag")), digest=_digest(site.value))
    else:
        ref = _policy_ref(policy, tag=_tag(sib.get("newTag")), digest=_digest(sib.get("digest")))
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
    )


def _container(site: MarkerSite, dialect: str) -> str:
    """The entry's or container's ``name`` when the field has one, else the field's key path."""
    name = site.siblings.get("name")
    if name and (dialect == "kustomize" or site.key != "name"):
        return name
    return ".".join((*site.path, site.key or "-"))
