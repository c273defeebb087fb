"""Kubernetes shapes shared by the annotation dialects: resources, annotations, containers.

Workloads are the kinds with a pod template, Argo Rollouts (``kind: Rollout``) included; a
Rollout that points at a Deployment with ``spec.workloadRef`` has no template of its own and
so no containers here (the Deployment's are found on it).
"""

from __future__ import annotations

from collections.abc import Iterator

from automator.manifest.fields import ImageField
from automator.manifest.yamldoc import Node, get, get_path, is_mapping, is_sequence, items, text_of
from automator.values import value_type

# kind -> path from the resource to its pod spec
POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "Rollout": ("spec", "template", "spec"),  # Argo Rollouts, argoproj.io/v1alpha1
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "Pod": ("spec",),
}
# the HelmReleases whose ``spec.values`` Flux v1 reads images from: helm-controller's and the
# Helm operator's, and the Helm operator's first API groups (``flux.weave.works/v1beta1``, and
# ``FluxHelmRelease`` in ``helm.integrations.flux.weave.works/v1alpha2``)
HELM_RELEASE_API_PREFIXES = ("helm.fluxcd.io/", "helm.toolkit.fluxcd.io/", "flux.weave.works/", "helm.integrations.flux.weave.works/")
HELM_RELEASE_KINDS = ("HelmRelease", "FluxHelmRelease")


@value_type
class Resource:
    node: Node
    kind: str
    api_version: str
    name: str
    namespace: str

    @property
    def label(self) -> str:
        ns = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind}/{ns}{self.name}"

    @property
    def is_helm_release(self) -> bool:
        return self.kind in HELM_RELEASE_KINDS and self.api_version.startswith(HELM_RELEASE_API_PREFIXES)


def resources(root: Node) -> Iterator[Resource]:
    """The resource in a document, or the items of a ``List``/``*List``."""
    if not is_mapping(root):
        return
    kind = text_of(get(root, "kind")) or ""
    listed = get(root, "items")
    if kind.endswith("List") and is_sequence(listed):
        for item in listed.value:
            yield from resources(item)
        return
    meta = get(root, "metadata")
    yield Resource(
        node=root,
        kind=kind,
        api_version=text_of(get(root, "apiVersion")) or "",
        name=text_of(get(meta, "name")) or "" if meta is not None else "",
        namespace=text_of(get(meta, "namespace")) or "" if meta is not None else "",
    )


def annotations(resource: Resource) -> dict[str, tuple[str, Node]]:
    """Annotation key -> (string value, value node) of a resource."""
    node = get_path(resource.node, "metadata", "annotations")
    found = {}
    for key, _, value in items(node):
        text = text_of(value)
        if text is not None:
            found[key] = (text, value)
    return found


def pod_containers(resource: Resource) -> Iterator[ImageField]:
    """Every container and init container (with an ``image``) of a workload's pod spec."""
    path = POD_SPEC_PATHS.get(resource.kind)
    if path is None:
        return
    spec = get_path(resource.node, *path)
    for list_key in ("initContainers", "containers"):
        listed = get(spec, list_key) if spec is not None else None
        if not is_sequence(listed):
            continue
        for container in listed.value:
            name = text_of(get(container, "name"))
            image = get(container, "image")
            if name and image is not None:
                yield ImageField(container=name, image=image)
