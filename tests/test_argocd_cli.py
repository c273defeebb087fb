"""The commands with Argo CD Image Updater configuration: explain names the alias and the
Application, and --argocd-apps reads Applications kept in another directory."""

import json
import shutil
from pathlib import Path

from automator.cli import main

GOLDEN = Path(__file__).parent / "golden"


def test_explain_shows_each_argo_image_with_its_alias_and_application(tmp_path, capsys):
    case = GOLDEN / "argocd_overrides"
    work = tmp_path / "repo"  # outside this repository: names are relative to the tree itself
    shutil.copytree(case / "input", work)
    assert main(["explain", str(work), "--tags-from", str(case / "tags.yaml")]) == 0
    out = capsys.readouterr().out
    assert "charts/shop/.argocd-source-shop.yaml:8  ghcr.io/acme/shop  (alias shop of Application shop, argocd)" in out
    assert "(alias app of Application app-prod, argocd)" in out
    assert main(["explain", str(work), "--tags-from", str(case / "tags.yaml"), "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    entries = entries["images"] if isinstance(entries, dict) else entries
    assert {(e["container"], e["workload"]) for e in entries if e["dialect"] == "argocd"} >= {("shop", "Application/shop"), ("app", "Application/app-prod")}


def test_applications_kept_in_another_directory_are_read_with_argocd_apps(tmp_path, capsys):
    case = GOLDEN / "argocd_app_of_apps"
    work, apps = tmp_path / "env", tmp_path / "apps-repo"
    shutil.copytree(case / "input", work)
    shutil.move(work / "apps", apps)

    assert main(["update", str(work), "--tags-from", str(case / "tags.yaml")]) == 0
    assert not (work / "charts" / "web" / ".argocd-source-web.yaml").exists()  # no Applications: nothing to do

    assert main(["update", str(work), "--tags-from", str(case / "tags.yaml"), "--argocd-apps", str(apps)]) == 0, capsys.readouterr().err
    for name in ("charts/web/.argocd-source-web.yaml", "envs/api/.argocd-source-api-prod.yaml", "envs/worker/kustomization.yaml"):
        assert (work / name).read_bytes() == (case / "expected" / name).read_bytes(), name


def test_argocd_apps_inside_the_repository_are_read_once(tmp_path, capsys):
    """The repository's own Applications are read anyway; naming their directory again with
    --argocd-apps (as an app-of-apps set-up may) must not plan each image twice."""
    case = GOLDEN / "argocd_app_of_apps"
    work = tmp_path / "env"
    shutil.copytree(case / "input", work)

    assert main(["update", str(work), "--tags-from", str(case / "tags.yaml"), "--argocd-apps", str(work / "apps")]) == 0, \
        capsys.readouterr().err
    for name in ("charts/web/.argocd-source-web.yaml", "envs/api/.argocd-source-api-prod.yaml", "envs/worker/kustomization.yaml"):
        assert (work / name).read_bytes() == (case / "expected" / name).read_bytes(), name


def test_argocd_apps_must_be_a_directory(tmp_path, capsys):
    assert main(["scan", str(tmp_path), "--argocd-apps", str(tmp_path / "missing")]) == 2
    assert "--argocd-apps" in capsys.readouterr().err


def test_validate_shows_each_argo_image_with_its_alias_and_application(tmp_path, capsys):
    shutil.copytree(GOLDEN / "argocd_overrides" / "input", tmp_path / "input")
    assert main(["validate", str(tmp_path / "input"), "-v"]) == 0
    out = capsys.readouterr().out
    assert "ghcr.io/acme/shop  semver:^3  (alias shop of Application shop, argocd)" in out
    assert main(["validate", str(tmp_path / "input"), "--json"]) == 0
    images = json.loads(capsys.readouterr().out)["images"]
    assert ("shop", "Application/shop") in {(i["container"], i["workload"]) for i in images if i["dialect"] == "argocd"}
