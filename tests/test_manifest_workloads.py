"""Every kind with a pod template is a workload for every dialect, Argo Rollouts included."""

import pytest

from automator.manifest.workloads import POD_SPEC_PATHS, pod_containers, resources
from automator.manifest.yamldoc import compose, split_documents


def containers_of(text):
    (chunk,) = split_documents(text)
    (resource,) = resources(compose(chunk, 1))
    return [(f.container, f.image.value) for f in pod_containers(resource)]


TEMPLATE = """\
apiVersion: {api}
kind: {kind}
metadata: {{name: x}}
spec:
  template:
    spec:
      initContainers: [{{name: init, image: acme/init:1}}]
      containers: [{{name: app, image: acme/app:1}}]
"""


@pytest.mark.parametrize(
    ("api", "kind"),
    [("argoproj.io/v1alpha1", "Rollout"), ("apps/v1", "ReplicaSet"), ("v1", "ReplicationController"), ("batch/v1", "Job"), ("apps/v1", "Deployment")],
)
def test_pod_template_kinds_yield_their_init_containers_and_containers(api, kind):
    assert kind in POD_SPEC_PATHS
    assert containers_of(TEMPLATE.format(api=api, kind=kind)) == [("init", "acme/init:1"), ("app", "acme/app:1")]


def test_a_rollout_that_refers_to_a_deployment_has_no_containers_of_its_own():
    text = "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: x}\nspec:\n  workloadRef: {kind: Deployment, name: web}\n"
    assert containers_of(text) == []
