"""The project's own annotations, prefix ``automator.dev/`` (documented in docs/manifests.md).

On any workload or HelmRelease (and, with explicit paths, on any resource):

* ``automator.dev/policy: <policy>`` governs every container; ``automator.dev/policy.<c>``
  one container (it wins). A policy is anything ``automator select`` accepts.
* ``automator.dev/filter[.<c>]: <regex>`` and ``automator.dev/extract[.<c>]: <template>``.
* ``automator.dev/locked: "true"`` skips the resource; ``automator.dev/skip.<c>: "true"`` one
  container.
* ``automator.dev/image.<c>: <path>`` (whole reference) or ``automator.dev/repository.<c>`` +
  ``automator.dev/tag.<c>`` (+ ``automator.dev/registry.<c>``): dotted paths to the fields,
  relative to ``spec.values`` in a HelmRelease and to the resource itself otherwise.
"""

from __future__ import annotations

from collections.abc import Iterator

from automator.errors import ManifestError
from automator.manifest.fields import ImageField, make_uses
from automator.manifest.helm import path_field, release_fields, values_of
from automator.manifest.typos import TYPO, native_key_problem
from automator.manifest.workloads import (
    POD_SPEC_PATHS,
    Resource,
    annotations,
    pod_containers,
    resources,
)
from automator.manifest.yamldoc import Document, is_scalar, kind_name
from automator.model import ImageUse, PolicySpec, Problem

PREFIX = "automator.dev/"
PATH_KINDS = ("image", "repository", "tag", "registry")


def _paths(ann: dict) -> dict[str, dict[str, str]]:
    mapped: dict[str, dict[str, str]] = {}
    for key, (value, _) in ann.items():
        for kind in PATH_KINDS:
            head = f"{PREFIX}{kind}."
            if key.startswith(head) and len(key) > len(head):
                mapped.setdefault(key[len(head) :], {})[kind] = value
    return mapped


class NativeLocator:
    name = "native"
    markers = (PREFIX,)

    def locate(self, doc: Document) -> Iterator[ImageUse | Problem]:
        for res in resources(doc.root):
            ann = annotations(res)
            if not any(key.startswith(PREFIX) for key in ann) or _true(ann, "locked"):
                continue
            fields = list(self._fields(res, ann))
            mapped = _paths(ann)
            containers = [f.container for f in fields if isinstance(f, ImageField)] + list(mapped)
            for key, (_, node) in ann.items():
                if key.startswith(PREFIX):
                    typo = native_key_problem(doc.file, doc.line_of(node), key, res.label, containers)
                    if typo is not None:
                        yield typo
            if not (fields or mapped or res.is_helm_release or res.kind in POD_SPEC_PATHS) and f"{PREFIX}policy" in ann:
                yield _nothing_to_automate(doc, res, ann[f"{PREFIX}policy"][1])
            for found in fields:
                if isinstance(found, ManifestError):
                    yield Problem(f"{doc.where(res.node)}: {res.label}: {found}", file=doc.file, line=doc.line_of(res.node))
                    continue
                if _true(ann, f"skip.{found.container}"):
                    continue
                policy = self._policy(doc, ann, found.container)
                if policy is None:
                    continue
                wrong = _registry_problem(doc, found) if found.container in mapped else None
                if wrong:
                    yield wrong
                else:
                    yield from make_uses(doc, found, policy, self.name, res.label)

    def _fields(self, res: Resource, ann: dict) -> Iterator[ImageField | ManifestError]:
        mapped = _paths(ann)
        if res.is_helm_release:
            yield from release_fields(values_of(res.node), mapped)
            return
        if res.kind in POD_SPEC_PATHS:
            yield from (f for f in pod_containers(res) if f.container not in mapped)
        for container, paths in mapped.items():
            try:
                yield path_field(container, res.node, paths)
            except ManifestError as error:
                yield error

    def _policy(self, doc: Document, ann: dict, container: str) -> PolicySpec | None:
        def pick(name: str) -> tuple[str, object] | None:
            return ann.get(f"{PREFIX}{name}.{container}") or ann.get(f"{PREFIX}{name}")

        spec = pick("policy")
        if spec is None:
            return None
        filt, extract = pick("filter"), pick("extract")
        return PolicySpec(
            spec[0],
            filter=filt[0] if filt else None,
            extract=extract[0] if extract else None,
            source=doc.file,
            line=doc.line_of(spec[1]),
        )


def _nothing_to_automate(doc: Document, res: Resource, node: object) -> Problem:
    """A policy on a resource where the tool finds no image: a kind without a pod spec it
    knows (a Knative Service, a PodTemplate) and no paths to the image."""
    return Problem(
        f"{doc.where(node)}: {res.label} has {PREFIX}policy, but the tool knows no pod spec in a {res.kind}; "
        f"nothing is automated: point at each image with {PREFIX}image.<container>: <path> (docs/manifests.md)",
        file=doc.file,
        line=doc.line_of(node),
        severity="warning",
        code=TYPO,
    )


def _registry_problem(doc: Document, found: ImageField) -> Problem | None:
    """An explicit registry path must lead to a plain value (a null is no registry): a mapping
    or list is an error, not a registry to leave out (the image would be looked up elsewhere).
    Registry keys found in HelmRelease values by their Flux v1 formats are not checked here."""
    node = found.registry
    if node is None or is_scalar(node):
        return None
    return Problem(
        f"{doc.where(node)}: the registry of container {found.container!r} is a {kind_name(node)}, not a plain value; "
        "point the registry path at the registry host",
        file=doc.file,
        line=doc.line_of(node),
    )


def _true(ann: dict, name: str) -> bool:
    return ann.get(f"{PREFIX}{name}", ("",))[0] == "true"
