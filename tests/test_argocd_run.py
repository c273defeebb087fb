"""An App-of-apps repository with Argo CD Image Updater configuration, run end to end against
the real distribution registry on 127.0.0.1 and a real bare remote: a legacy-annotated
Application and one selected by an ImageUpdater resource are updated in one commit."""

from __future__ import annotations

import pytest
from argocd_helpers import WEB_APP
from git_helpers import clone, git, isolated_git, make_remote, run_automator, show  # noqa: F401 (autouse fixture)

pytestmark = pytest.mark.registry

API_APP = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: api-prod
  namespace: argocd
  labels: {{tier: backend}}
spec:
  source:
    repoURL: {repo_url}
    path: envs/api
    kustomize: {{}}
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: api-elsewhere
  namespace: argocd
  labels: {{tier: backend}}
spec:
  source:
    repoURL: https://git.example.com/someone/else.git
    path: envs/api
    kustomize: {{}}
"""
UPDATER = """\
apiVersion: argocd-image-updater.argoproj.io/v1alpha1
kind: ImageUpdater
metadata:
  name: backend
  namespace: argocd
spec:
  namespace: argocd
  writeBackConfig: {{method: git}}
  applicationRefs:
    - namePattern: "api-*"
      labelSelectors: {{matchLabels: {{tier: backend}}}}
      images:
        - alias: api
          imageName: {registry}/argo-e2e/api
          commonUpdateSettings: {{updateStrategy: newest-build, ignoreTags: ["*-debug"]}}
"""
API_OVERRIDE = """\
kustomize:
  images:
  - {registry}/argo-e2e/api:build-1 # written by Argo CD Image Updater
"""


def test_one_commit_updates_a_legacy_application_and_an_image_updater_application(local_registry, tmp_path):
    registry = local_registry.host
    for tag in ("1.0.0", "1.3.0", "2.0.0"):
        local_registry.push("argo-e2e/web", tag, created="2024-01-01T00:00:00Z")
    local_registry.push("argo-e2e/api", "build-1", created="2024-01-01T00:00:00Z")
    local_registry.push("argo-e2e/api", "build-2", created="2024-02-01T00:00:00Z")
    local_registry.push("argo-e2e/api", "build-3-debug", created="2024-03-01T00:00:00Z")
    bare_path = tmp_path / "remote.git"
    repo_url = f"file://{bare_path}"
    bare = make_remote(tmp_path, {
        "apps/web.yaml": WEB_APP.format(registry=registry, repo_url=repo_url),
        "apps/api.yaml": API_APP.format(repo_url=repo_url),
        "apps/updater.yaml": UPDATER.format(registry=registry),
        "charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "charts/web/values.yaml": "image:\n  name: web\n  tag: 1.0.0\n",
        "envs/api/kustomization.yaml": "resources: [deployment.yaml]\n",
        "envs/api/.argocd-source-api-prod.yaml": API_OVERRIDE.format(registry=registry),
    })
    assert bare == bare_path
    work = clone(bare, tmp_path / "work")
    before = git(bare, "rev-parse", "main")

    done = run_automator(["run", ".", "--no-cache"], cwd=work, timeout=120)

    assert done.returncode == 0, done.stdout + done.stderr
    assert git(bare, "rev-list", "--count", f"{before}..main") == "1"  # one commit for both
    changed = git(bare, "diff", "--name-only", before, "main").splitlines()
    assert changed == ["charts/web/.argocd-source-web.yaml", "envs/api/.argocd-source-api-prod.yaml"]
    assert show(bare, "charts/web/.argocd-source-web.yaml") == (
        "helm:\n  parameters:\n  - name: image.name\n"
        f"    value: {registry}/argo-e2e/web\n    forcestring: true\n"
        "  - name: image.tag\n    value: 1.3.0\n    forcestring: true"
    )
    assert show(bare, "envs/api/.argocd-source-api-prod.yaml") + "\n" == API_OVERRIDE.format(registry=registry).replace("build-1", "build-2")
    assert "Application api-elsewhere deploys from https://git.example.com/someone/else.git, not from this repository" in done.stderr
