"""Every Kubernetes example is admitted in a namespace that enforces the *restricted* Pod Security
Standard (``pod-security.kubernetes.io/enforce: restricted``).

The checker below is the profile's list of controls (kubernetes.io/docs/concepts/security/
pod-security-standards), restricted to the fields a PodSpec of these examples could carry. A
PodSpec is any mapping with a ``containers`` list, wherever its kind nests it (Pod, Deployment,
Job, CronJob's jobTemplate, StatefulSet ...). Baseline controls no example comes near (sysctls,
SELinux, AppArmor, procMount) are not checked.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples/kubernetes").glob("*.yaml"))
WORKLOADS = {"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob"}

ALLOWED_VOLUMES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim",
                   "projected", "secret"}  # so no hostPath, nfs, ...
ALLOWED_SECCOMP = {"RuntimeDefault", "Localhost"}
ALLOWED_ADDED_CAPABILITIES = {"NET_BIND_SERVICE"}


def pod_specs(node, path=""):
    """(path, PodSpec) for every PodSpec inside ``node``."""
    if isinstance(node, dict):
        if isinstance(node.get("containers"), list):
            yield path, node
        for key, value in node.items():
            yield from pod_specs(value, f"{path}.{key}" if path else key)


def pods() -> list[tuple[str, dict, str, dict]]:
    """(file, document, path, PodSpec) for every PodSpec of every example."""
    found = []
    for file in EXAMPLES:
        for doc in yaml.safe_load_all(file.read_text()):
            for path, spec in pod_specs(doc):
                found.append((file.name, doc, path, spec))
    return found


def violations(spec: dict) -> list[str]:
    """What the restricted profile rejects in one PodSpec."""
    found = []
    pod_context = spec.get("securityContext") or {}
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(field):
            found.append(f"{field} must not be true")
    for volume in spec.get("volumes", []):
        kinds = set(volume) - {"name"}
        if not kinds <= ALLOWED_VOLUMES:
            found.append(f"volume {volume['name']}: {sorted(kinds)} is not an allowed volume type")
    if pod_context.get("runAsUser") == 0:
        found.append("the pod's runAsUser must not be 0")
    for key in ("initContainers", "containers", "ephemeralContainers"):
        for container in spec.get(key, []):
            found += [f"container {container['name']}: {problem}" for problem in container_violations(container, pod_context)]
    return found


def container_violations(container: dict, pod_context: dict) -> list[str]:
    found = []
    context = container.get("securityContext") or {}

    def effective(field):  # a container's setting overrides the pod's
        return context.get(field, pod_context.get(field))

    if context.get("privileged"):
        found.append("privileged must not be true")
    if context.get("allowPrivilegeEscalation") is not False:
        found.append("allowPrivilegeEscalation must be false")
    capabilities = context.get("capabilities") or {}
    if "ALL" not in capabilities.get("drop", []):
        found.append('capabilities.drop must include "ALL"')
    if not set(capabilities.get("add", [])) <= ALLOWED_ADDED_CAPABILITIES:
        found.append(f"capabilities.add may hold only NET_BIND_SERVICE, not {capabilities['add']}")
    if effective("runAsNonRoot") is not True:
        found.append("runAsNonRoot must be true (pod or container)")
    if context.get("runAsUser") == 0:
        found.append("runAsUser must not be 0")
    # not the profile but the kubelet: it starts a runAsNonRoot container only when it knows a
    # non-zero uid, from runAsUser or a numeric USER in the image (redis' is root, ours 10001)
    if not effective("runAsUser"):
        found.append("runAsUser must be set so the kubelet can verify runAsNonRoot")
    if (effective("seccompProfile") or {}).get("type") not in ALLOWED_SECCOMP:
        found.append(f"seccompProfile.type must be one of {sorted(ALLOWED_SECCOMP)} (pod or container)")
    if any(port.get("hostPort") for port in container.get("ports", [])):
        found.append("hostPort must not be set")
    return found


@pytest.mark.parametrize("file", [f.name for f in EXAMPLES])
def test_every_pod_of_the_example_is_admitted_by_the_restricted_pod_security_standard(file):
    problems = [f"{name} {doc['kind']}/{doc['metadata']['name']} ({path}): {problem}"
                for name, doc, path, spec in pods() if name == file
                for problem in violations(spec)]
    assert problems == [], "\n".join(problems)


def test_every_workload_of_the_examples_has_its_pod_checked():
    workloads = [(file.name, doc["metadata"]["name"]) for file in EXAMPLES
                 for doc in yaml.safe_load_all(file.read_text()) if isinstance(doc, dict) and doc.get("kind") in WORKLOADS]
    checked = [(name, doc["metadata"]["name"]) for name, doc, _, _ in pods()]
    assert workloads and sorted(checked) == sorted(workloads)


# the checker itself: a compliant pod passes, and each thing the profile forbids is caught
COMPLIANT = {
    "securityContext": {"runAsNonRoot": True, "runAsUser": 1000, "seccompProfile": {"type": "RuntimeDefault"}},
    "containers": [{"name": "app", "image": "app", "securityContext": {
        "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}}}],
    "volumes": [{"name": "tmp", "emptyDir": {}}],
}


def test_the_checker_accepts_a_compliant_pod():
    assert violations(COMPLIANT) == []


@pytest.mark.parametrize(("change", "expected"), [
    (lambda pod: pod.update(hostNetwork=True), "hostNetwork"),
    (lambda pod: pod["volumes"].append({"name": "docker", "hostPath": {"path": "/var/run"}}), "hostPath"),
    (lambda pod: pod["securityContext"].update(runAsUser=0), "runAsUser must not be 0"),
    (lambda pod: pod["securityContext"].pop("runAsNonRoot"), "runAsNonRoot"),
    (lambda pod: pod["securityContext"]["seccompProfile"].update(type="Unconfined"), "seccompProfile"),
    (lambda pod: pod["containers"][0]["securityContext"].update(seccompProfile={"type": "Unconfined"}), "seccompProfile"),
    (lambda pod: pod["containers"][0]["securityContext"].update(privileged=True), "privileged"),
    (lambda pod: pod["containers"][0]["securityContext"].pop("allowPrivilegeEscalation"), "allowPrivilegeEscalation"),
    (lambda pod: pod["containers"][0]["securityContext"]["capabilities"].update(drop=["NET_RAW"]), "drop"),
    (lambda pod: pod["containers"][0]["securityContext"]["capabilities"].update(add=["SYS_ADMIN"]), "add"),
    (lambda pod: pod["containers"][0].update(ports=[{"containerPort": 80, "hostPort": 80}]), "hostPort"),
    (lambda pod: pod.update(initContainers=[{"name": "init", "image": "init"}]), "container init"),
])
def test_the_checker_rejects_what_the_restricted_profile_forbids(change, expected):
    pod = copy.deepcopy(COMPLIANT)
    change(pod)
    assert any(expected in problem for problem in violations(pod)), violations(pod)
