"""The pipeline with Flux v2 markers: the first pass, planning a sub-path, writing and problems."""

from pathlib import Path

from automator.run import apply_plan, make_plan
from automator.tagfile import FileTagSource

POLICIES = """\
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: {name: app, namespace: flux-system}
spec: {image: ghcr.io/acme/app}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {name: app, namespace: flux-system}
spec:
  imageRepositoryRef: {name: app}
  policy: {semver: {range: 1.x}}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {name: orphan, namespace: flux-system}
spec:
  imageRepositoryRef: {name: nowhere}
  policy: {semver: {range: 1.x}}
"""
DEPLOY = """\
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers:
      - name: web
        image: ghcr.io/acme/app:1.0.0 # {"$imagepolicy": "flux-system:app"}
"""


def write_tree(root: Path) -> None:
    (root / "clusters" / "prod" / "flux-system").mkdir(parents=True)
    (root / "apps").mkdir()
    (root / "clusters" / "prod" / "flux-system" / "images.yaml").write_text(POLICIES)
    (root / "apps" / "web.yaml").write_text(DEPLOY)


def test_a_sub_path_is_planned_with_the_policies_of_the_whole_root(tmp_path):
    write_tree(tmp_path)
    source = FileTagSource.parse("ghcr.io/acme/app: [1.0.0, 1.4.2, 2.0.0]", "tags.yaml")

    plan = make_plan(tmp_path, source, scan_path=tmp_path / "apps")

    (update,) = plan.updates
    assert (update.use.file, update.use.dialect, update.from_tag, update.to_tag) == ("apps/web.yaml", "fluxv2", "1.0.0", "1.4.2")
    # a broken object outside the scanned path does not concern it: a warning (issue 12)
    assert plan.errors == ()
    (warning,) = [p for p in plan.problems if p.file == "clusters/prod/flux-system/images.yaml"]
    assert warning.severity == "warning" and "ImagePolicy flux-system:orphan" in warning.message
    assert warning.message.endswith("(outside apps; not used there)")

    assert apply_plan(tmp_path, plan) == ["apps/web.yaml"]
    assert (tmp_path / "apps" / "web.yaml").read_text() == DEPLOY.replace("app:1.0.0", "app:1.4.2")


def test_without_its_policy_in_the_tree_a_marker_changes_nothing_and_warns(tmp_path):
    (tmp_path / "web.yaml").write_text(DEPLOY)
    source = FileTagSource.parse("ghcr.io/acme/app: [1.0.0, 1.4.2]", "tags.yaml")

    plan = make_plan(tmp_path, source)

    assert plan.updates == () and plan.errors == ()
    (warning,) = plan.problems
    assert warning.severity == "warning" and warning.message.startswith("web.yaml:8: ")
    assert apply_plan(tmp_path, plan) == []
    assert (tmp_path / "web.yaml").read_text() == DEPLOY


KUSTOMIZATION = """\
images:
- name: app
  newName: replaced # {"$imagepolicy": "flux-system:app:name"}
  digest: sha256:%s # {"$imagepolicy": "flux-system:app:digest"}
""" % ("a" * 64)


def test_a_digest_field_needs_the_digest_of_the_chosen_tag(tmp_path):
    write_tree(tmp_path)
    (tmp_path / "apps" / "kustomization.yaml").write_text(KUSTOMIZATION)
    source = FileTagSource.parse("ghcr.io/acme/app: [1.0.0, 1.4.2]", "tags.yaml")

    plan = make_plan(tmp_path, source, scan_path=tmp_path / "apps")

    names = [(u.use.field, u.from_tag, u.to_tag) for u in plan.updates if u.use.file == "apps/kustomization.yaml"]
    assert names == [("name", "replaced", "ghcr.io/acme/app")]
    (missing,) = [p for p in plan.errors if p.file == "apps/kustomization.yaml"]
    assert missing.message == "apps/kustomization.yaml:4: ghcr.io/acme/app: the digest of tag 1.4.2 is not known"
