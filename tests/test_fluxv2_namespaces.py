"""The namespace of Flux objects without metadata.namespace: the one a kustomization listing
them sets (kustomize's namespace field), else `default`."""

from pathlib import Path

from automator.manifest.fluxv2.namespaces import AppliedNamespace, applied_namespace
from automator.manifest.fluxv2.tree import read_catalog
from automator.run import make_plan
from automator.tagfile import FileTagSource

OBJECTS = """\
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImageRepository
metadata:
  name: podinfo
spec:
  image: ghcr.io/acme/app
---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImagePolicy
metadata:
  name: podinfo
spec:
  imageRepositoryRef:
    name: podinfo
  policy:
    semver:
      range: 1.x
"""
DEPLOY = 'image: ghcr.io/acme/app:1.0.0 # {"$imagepolicy": "podinfo:podinfo"}\n'


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def test_objects_listed_by_a_kustomization_with_a_namespace_are_in_that_namespace(tmp_path):
    write(tmp_path, {
        "apps/podinfo/kustomization.yaml": "namespace: podinfo\nresources:\n  - deployment.yaml\n  - ./image-automation.yaml\n",
        "apps/podinfo/image-automation.yaml": OBJECTS,
        "apps/podinfo/deployment.yaml": DEPLOY,
    })

    plan = make_plan(tmp_path, FileTagSource.parse("ghcr.io/acme/app: [1.0.0, 1.2.0]", "tags.yaml"))

    assert [(u.use.file, u.to_tag) for u in plan.updates] == [("apps/podinfo/deployment.yaml", "1.2.0")]
    assert plan.problems == ()


def test_a_kustomization_listing_the_directory_gives_its_namespace_and_the_outer_one_wins(tmp_path):
    write(tmp_path, {
        "clusters/prod/kustomization.yml": "namespace: apps\nresources: [podinfo, ../../shared]\n",
        "clusters/prod/podinfo/kustomization.yaml": "namespace: inner\nresources: [objects.yaml]\n",
        "clusters/prod/podinfo/objects.yaml": OBJECTS,
    })

    catalog = read_catalog(tmp_path)

    assert sorted(catalog.policies) == ["apps:podinfo"]


def test_a_marker_is_never_told_to_use_default_when_a_kustomization_around_its_policy_sets_a_namespace(tmp_path):
    write(tmp_path, {
        "apps/podinfo/kustomization.yaml": "namespace: podinfo\nresources: [deployment.yaml]\n",  # objects.yaml is not listed
        "apps/podinfo/objects.yaml": OBJECTS,
        "apps/podinfo/deployment.yaml": DEPLOY,
    })

    plan = make_plan(tmp_path, FileTagSource.parse("ghcr.io/acme/app: [1.0.0, 1.2.0]", "tags.yaml"))

    (warning,) = plan.problems
    assert "names ImagePolicy podinfo:podinfo, which is not in the scanned tree" in warning.message
    assert "default:podinfo" not in warning.message


def test_the_applied_namespace_follows_the_resources_up_from_the_file():
    kustomizations = {
        "base": {"resources": ["policy.yaml"]},
        "": {"namespace": "top", "resources": ["base"]},
        "loose": {"namespace": "elsewhere", "resources": ["other.yaml"]},
    }
    read = kustomizations.get

    assert applied_namespace("base/policy.yaml", read) == AppliedNamespace("top")
    assert applied_namespace("base/unlisted.yaml", read) == AppliedNamespace(None, unsure=True)
    assert applied_namespace("loose/policy.yaml", read) == AppliedNamespace(None, unsure=True)
    assert applied_namespace("nowhere/policy.yaml", {}.get) == AppliedNamespace()
