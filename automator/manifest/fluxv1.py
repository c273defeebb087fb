"""Flux v1 annotations: workloads and HelmReleases marked ``fluxcd.io/automated: "true"``.

``fluxcd.io/tag.<container>: <policy>`` (or ``filter.fluxcd.io/<container>``) chooses a
container's policy (default ``glob:*``);
``fluxcd.io/locked: "true"`` skips the workload; the legacy ``flux.weave.works/`` prefix works
the same. A tag annotation without ``automated`` automates nothing. HelmReleases are read as
Flux v1 read them, whatever their API group among the Helm operator's and helm-controller's
(``flux.weave.works/v1beta1`` and ``FluxHelmRelease`` included: ``workloads.HELM_RELEASE_API_PREFIXES``).
"""

from __future__ import annotations

from collections.abc import Iterator

from automator.errors import ManifestError
from automator.manifest.fields import ImageField, make_uses
from automator.manifest.helm import release_fields, values_of
from automator.manifest.typos import unknown_container
from automator.manifest.workloads import (
    HELM_RELEASE_API_PREFIXES,
    HELM_RELEASE_KINDS,
    POD_SPEC_PATHS,
    Resource,
    annotations,
    pod_containers,
    resources,
)
from automator.manifest.yamldoc import Document
from automator.model import ImageUse, PolicySpec, Problem

PREFIXES = ("fluxcd.io/", "flux.weave.works/")
FILTER_PREFIX = "filter.fluxcd.io/"  # Flux v1's other spelling of fluxcd.io/tag.<container>
DEFAULT_POLICY = "glob:*"
_KNOWN = ("semver:", "glob:", "regex:", "regexp:")
PATH_KINDS = {"repository.fluxcd.io/": "repository", "tag.fluxcd.io/": "tag", "registry.fluxcd.io/": "registry"}


def flux_policy(text: str) -> str:
    """Flux v1 reads a pattern without a known prefix as a glob."""
    return text if text.startswith(_KNOWN) else f"glob:{text}"


def tag_keys(container: str) -> tuple[str, ...]:
    """The annotations that may hold a container's policy, in the order Flux v1 reads them."""
    return (*(f"{prefix}tag.{container}" for prefix in PREFIXES), f"{FILTER_PREFIX}{container}")


def mapped_paths(ann: dict) -> dict[str, dict[str, str]]:
    """``repository.fluxcd.io/<c>`` etc. -> {container: {"repository": path, ...}}."""
    mapped: dict[str, dict[str, str]] = {}
    for key, (value, _) in ann.items():
        for prefix, kind in PATH_KINDS.items():
            if key.startswith(prefix) and len(key) > len(prefix):
                mapped.setdefault(key[len(prefix) :], {})[kind] = value
    return mapped


def unsupported(res: Resource) -> str:
    """Why an automated resource is not one Flux v1 automates, naming its apiVersion and kind."""
    what = f"{res.label} ({res.api_version or 'no apiVersion'}, kind {res.kind or '(none)'}) is marked automated, but"
    if res.kind in HELM_RELEASE_KINDS:
        groups = ", ".join(prefix.rstrip("/") for prefix in HELM_RELEASE_API_PREFIXES)
        return f"{what} Flux v1 reads the values of HelmReleases of the API groups {groups} only"
    return f"{what} Flux v1 automates only workloads ({', '.join(POD_SPEC_PATHS)}) and Flux HelmReleases"


class FluxV1Locator:
    name = "fluxv1"
    markers = ("fluxcd.io/automated", "flux.weave.works/automated")

    def locate(self, doc: Document) -> Iterator[ImageUse | Problem]:
        for res in resources(doc.root):
            ann = annotations(res)
            if not any(ann.get(f"{p}automated", ("",))[0] == "true" for p in PREFIXES):
                continue
            if any(ann.get(f"{p}locked", ("",))[0] == "true" for p in PREFIXES):
                continue
            if res.is_helm_release:
                fields = release_fields(values_of(res.node), mapped_paths(ann))
            elif res.kind in POD_SPEC_PATHS:
                fields = pod_containers(res)
            else:
                yield Problem(f"{doc.where(res.node)}: {unsupported(res)}; ignored", file=doc.file,
                              line=doc.line_of(res.node), severity="warning")
                continue
            fields = list(fields)
            yield from self._typos(doc, res.label, ann, [f.container for f in fields if isinstance(f, ImageField)])
            for found in fields:
                if isinstance(found, ManifestError):
                    yield Problem(f"{doc.where(res.node)}: {res.label}: {found}", file=doc.file, line=doc.line_of(res.node))
                    continue
                yield from make_uses(doc, found, self._policy(doc, ann, found), self.name, res.label)

    def _typos(self, doc: Document, workload: str, ann: dict, containers: list[str]) -> Iterator[Problem]:
        """Policy annotations naming no container: those containers fall back to glob:*."""
        for key, (_, node) in ann.items():
            head = next((h for h in (*(f"{p}tag." for p in PREFIXES), FILTER_PREFIX) if key.startswith(h)), None)
            if head is None or key[len(head) :] in containers:
                continue
            yield unknown_container(
                doc.file, doc.line_of(node), key, key[len(head) :], workload, containers,
                f"containers without a policy annotation use {DEFAULT_POLICY}",
            )

    def _policy(self, doc: Document, ann: dict, found: ImageField) -> PolicySpec:
        for key in tag_keys(found.container):
            entry = ann.get(key)
            if entry is not None:
                return PolicySpec(flux_policy(entry[0]), source=doc.file, line=doc.line_of(entry[1]))
        return PolicySpec(DEFAULT_POLICY, source=doc.file)
