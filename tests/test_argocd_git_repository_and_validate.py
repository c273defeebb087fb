"""Which repository Argo CD Image Updater writes to, and what ``validate`` checks of it.

An Application whose chart comes from a Helm repository names the git repository its values
live in with ``git-repository`` (``gitConfig.repository`` in an ImageUpdater); that, not the
source's ``repoURL``, is compared with the checkout's origin. ``validate`` checks the images
whose override file does not exist yet as ``scan`` does."""

import subprocess
from pathlib import Path

from automator.cli import main
from automator.manifest.argocd.tree import read_tree
from automator.validate import validate

P = "argocd-image-updater.argoproj.io/"
ENV = "https://github.com/acme/env.git"
HELM_REPOSITORY_SOURCES = """\
  sources:
  - repoURL: registry-1.docker.io/bitnamicharts
    chart: redis
    targetRevision: 18.x
    helm:
      valueFiles:
      - $values/envs/prod/redis-values.yaml
  - repoURL: https://github.com/acme/env.git
    targetRevision: main
    ref: values
"""
VALUES = "image:\n  repository: registry.example.com/bitnami/redis\n  tag: 7.0.5\n"


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def application(annotations: dict[str, str], spec: str, name: str = "redis") -> str:
    lines = "".join(f"    {P}{key}: {value!r}\n".replace("'", '"') for key, value in annotations.items())
    return (f"apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {name}\n  namespace: argocd\n"
            f"  annotations:\n{lines}spec:\n{spec}")


REDIS = {"image-list": "redis=registry.example.com/bitnami/redis", "redis.helm.image-name": "image.repository",
         "redis.helm.image-tag": "image.tag", "write-back-method": "git",
         "write-back-target": "helmvalues:/envs/prod/redis-values.yaml"}


def test_git_repository_names_the_repository_written_when_the_chart_comes_from_a_helm_repository(tmp_path):
    root = write(tmp_path, {"apps/redis.yaml": application({**REDIS, "git-repository": ENV}, HELM_REPOSITORY_SOURCES),
                            "envs/prod/redis-values.yaml": VALUES})
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "remote", "add", "origin", "git@github.com:acme/env.git"], check=True)
    (root / "tags.yaml").write_text("registry.example.com/bitnami/redis: [7.0.5, 7.2.4]\n")
    assert main(["update", str(root), "--tags-from", str(root / "tags.yaml")]) == 0
    assert (root / "envs/prod/redis-values.yaml").read_text() == VALUES.replace("7.0.5", "7.2.4")


def test_without_git_repository_such_an_application_deploys_from_elsewhere_and_is_left_alone(tmp_path):
    root = write(tmp_path, {"apps/redis.yaml": application(REDIS, HELM_REPOSITORY_SOURCES),
                            "envs/prod/redis-values.yaml": VALUES})
    tree = read_tree(root, origin=ENV)
    (notice,) = tree.problems
    assert tree.targets == {} and notice.severity == "warning"
    assert "deploys from registry-1.docker.io/bitnamicharts, not from this repository" in notice.message


def test_git_repository_naming_another_repository_is_a_notice(tmp_path):
    root = write(tmp_path, {"apps/redis.yaml": application({**REDIS, "git-repository": "https://github.com/acme/other.git"},
                                                           HELM_REPOSITORY_SOURCES),
                            "envs/prod/redis-values.yaml": VALUES})
    tree = read_tree(root, origin=ENV)
    (notice,) = tree.problems
    assert tree.targets == {} and notice.severity == "warning"
    assert "writes back to https://github.com/acme/other.git, not to this repository" in notice.message


def test_an_image_updaters_git_config_repository_names_the_repository_written(tmp_path):
    updater = (
        "apiVersion: argocd-image-updater.argoproj.io/v1alpha1\nkind: ImageUpdater\nmetadata: {name: u, namespace: argocd}\n"
        "spec:\n  namespace: argocd\n  writeBackConfig:\n    method: git\n    gitConfig:\n"
        f"      repository: {ENV}\n      writeBackTarget: helmvalues:/envs/prod/redis-values.yaml\n"
        "  applicationRefs:\n  - namePattern: redis\n    images:\n    - alias: redis\n"
        "      imageName: registry.example.com/bitnami/redis\n"
        "      manifestTargets: {helm: {name: image.repository, tag: image.tag}}\n")
    root = write(tmp_path, {"apps/updater.yaml": updater, "apps/redis.yaml": application({}, HELM_REPOSITORY_SOURCES),
                            "envs/prod/redis-values.yaml": VALUES})
    tree = read_tree(root, origin=ENV)
    assert list(tree.targets) == ["envs/prod/redis-values.yaml"] and tree.problems == ()


def test_validate_checks_the_policy_of_an_image_whose_override_file_is_still_to_be_created(tmp_path):
    root = write(tmp_path, {
        "apps/web.yaml": application({"image-list": "web=ghcr.io/acme/web:>=1.2<2", "write-back-method": "git"},
                                     "  source:\n    repoURL: https://git.example.com/acme/env\n    path: charts/web\n"
                                     "    helm: {}\n", name="web"),
        "charts/web/Chart.yaml": "name: web\n",
    })
    result = validate(root)
    assert [use.file for use in result.uses] == ["charts/web/.argocd-source-web.yaml"]
    (error,) = result.errors
    assert "policy 'semver:>=1.2<2': invalid semver constraint" in error.message
