"""One path convention in every command, previews equal to the run, --strict, validate, and
paths that are refused — run as a user runs them, in a real git repository."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from automator.cli import main

POLICIES = """\
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImagePolicy
metadata: {name: podinfo, namespace: flux-system}
spec: {imageRepositoryRef: {name: podinfo}, policy: {semver: {range: 6.x}}}
---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImageRepository
metadata: {name: podinfo, namespace: flux-system}
spec: {image: ghcr.io/stefanprodan/podinfo}
"""
DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations:
    fluxcd.io/automated: "true"
    fluxcd.io/tag.{name}: semver:^1
spec:
  template:
    spec:
      containers:
      - name: app
        image: ghcr.io/acme/app:1.0.0
      - name: sidecar
        image: ghcr.io/acme/app:1.0.0
"""
TAGS = "ghcr.io/acme/app: [1.0.0, 1.4.0]\nghcr.io/stefanprodan/podinfo: [6.5.0, 6.6.0]\n"


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(cwd), "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        check=True, capture_output=True, text=True,
    )
    return done.stdout


@pytest.fixture
def repo(tmp_path: Path, monkeypatch) -> Path:
    root = tmp_path / "env"
    files = {
        "flux/policies.yaml": POLICIES,
        "clusters/production/apps/values.yaml": 'image: ghcr.io/stefanprodan/podinfo:6.5.0 # {"$imagepolicy": "flux-system:podinfo"}\n',
        "clusters/production/web.yaml": DEPLOY.format(name="app"),
        "README.md": "# environments\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (tmp_path / "tags.yaml").write_text(TAGS)
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-qm", "init")
    monkeypatch.chdir(root / "clusters")  # a user inside the repository, naming a sub-path
    return root


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def tags(repo: Path) -> str:
    return str(repo.parent / "tags.yaml")


def test_scan_json_names_files_relative_to_the_repository_root(repo: Path, capsys) -> None:
    code, out, err = run(capsys, "scan", "production", "--tags-from", tags(repo), "--json")
    assert code == 0, err
    files = sorted({u["file"] for u in json.loads(out)["updates"]})
    assert files == ["clusters/production/apps/values.yaml", "clusters/production/web.yaml"]


def test_scan_of_a_sub_path_resolves_image_policies_of_the_whole_repository(repo: Path, capsys) -> None:
    code, out, err = run(capsys, "scan", "production/apps", "--tags-from", tags(repo))
    assert (code, err) == (0, "")
    assert "clusters/production/apps/values.yaml:1" in out and "6.5.0 -> 6.6.0" in out
    code, out, err = run(capsys, "explain", "production/apps", "--tags-from", tags(repo))
    assert code == 0 and "moves: 6.5.0 -> 6.6.0" in out and "not in the scanned tree" not in err


def test_the_table_shows_file_line_and_container_so_two_uses_of_a_file_differ(repo: Path, capsys) -> None:
    _, out, _ = run(capsys, "scan", "production/web.yaml", "--tags-from", tags(repo))
    rows = [line.split() for line in out.splitlines()[1:]]
    assert [(r[0], r[1]) for r in rows] == [("clusters/production/web.yaml:13", "app"), ("clusters/production/web.yaml:15", "sidecar")]


def test_update_dry_run_prints_a_diff_git_applies_from_the_repository_root(repo: Path, capsys) -> None:
    code, out, err = run(capsys, "update", "production", "--tags-from", tags(repo), "--dry-run")
    assert code == 0, err
    assert "--- a/clusters/production/web.yaml" in out
    patch = repo.parent / "change.diff"
    patch.write_text(out)
    git(repo, "apply", "--check", str(patch))
    git(repo, "apply", str(patch))
    assert "ghcr.io/acme/app:1.4.0" in (repo / "clusters/production/web.yaml").read_text()


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("../README.md", "not a YAML manifest"),
        ("nowhere", "no such file or directory"),
    ],
)
def test_a_path_without_yaml_is_exit_2(repo: Path, capsys, path: str, message: str) -> None:
    code, _, err = run(capsys, "scan", path, "--tags-from", tags(repo))
    assert code == 2 and message in err


def test_a_directory_without_yaml_is_exit_2(repo: Path, capsys) -> None:
    (repo / "clusters" / "empty").mkdir()
    code, _, err = run(capsys, "validate", "empty")
    assert code == 2 and "holds no YAML manifests" in err


def test_a_path_linking_out_of_the_repository_is_refused(repo: Path, tmp_path: Path, capsys) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "web.yaml").write_text(DEPLOY.format(name="app"))
    (repo / "clusters" / "link").symlink_to(outside)
    code, _, err = run(capsys, "update", "link", "--tags-from", tags(repo))
    assert code == 2 and "outside the repository" in err
    assert (outside / "web.yaml").read_text() == DEPLOY.format(name="app")


def test_typos_warn_and_strict_makes_them_errors(repo: Path, capsys) -> None:
    (repo / "clusters/production/web.yaml").write_text(DEPLOY.format(name="ap"))
    code, _, err = run(capsys, "scan", "production", "--tags-from", tags(repo))
    assert code == 0 and "warning: clusters/production/web.yaml:7: annotation fluxcd.io/tag.ap" in err
    assert "(did you mean `app`?)" in err
    code, _, err = run(capsys, "scan", "production", "--tags-from", tags(repo), "--strict")
    assert code == 1 and "error: clusters/production/web.yaml:7: annotation fluxcd.io/tag.ap" in err


def test_ignored_and_skip_worktree_manifests_are_not_patched(repo: Path, capsys) -> None:
    (repo / ".gitignore").write_text("clusters/production/local.yaml\n")
    (repo / "clusters/production/local.yaml").write_text(DEPLOY.format(name="app"))
    git(repo, "update-index", "--skip-worktree", "clusters/production/web.yaml")
    code, _, err = run(capsys, "update", "production", "--tags-from", tags(repo))
    assert code == 0, err
    assert "clusters/production/local.yaml: ignored by git (.gitignore); not patched" in err
    assert "clusters/production/web.yaml: marked skip-worktree in git; not patched" in err
    assert (repo / "clusters/production/local.yaml").read_text() == DEPLOY.format(name="app")
    assert (repo / "clusters/production/web.yaml").read_text() == DEPLOY.format(name="app")
    assert "6.6.0" in (repo / "clusters/production/apps/values.yaml").read_text()


def test_a_broken_flux_object_in_another_directory_does_not_stop_this_one(repo: Path, capsys) -> None:
    (repo / "team-b").mkdir()
    (repo / "team-b/policy.yaml").write_text(POLICIES.replace("spec: {imageRepositoryRef", "x: " + "[" * 600 + "]" * 600 + "\nspec: {imageRepositoryRef", 1))
    code, out, err = run(capsys, "scan", "production", "--tags-from", tags(repo))
    assert code == 0 and "6.5.0 -> 6.6.0" in out
    assert err.startswith("warning: team-b/policy.yaml:1: ") and "(outside clusters/production; not used there)" in err


def test_validate_exit_codes_and_json(repo: Path, capsys) -> None:
    code, out, err = run(capsys, "validate", "production")
    assert (code, out, err) == (0, "clusters/production: valid (3 automated images)\n", "")
    (repo / "clusters/production/web.yaml").write_text(DEPLOY.format(name="ap") + "spec: {}\n")
    code, out, err = run(capsys, "validate", "production", "--json")
    assert code == 1
    report = json.loads(out)
    assert report["valid"] is False and report["path"] == "clusters/production"
    assert [(p["file"], p["line"], p["severity"]) for p in report["problems"]] == [
        ("clusters/production/web.yaml", 7, "error"),
        ("clusters/production/web.yaml", 16, "error"),
    ]


def test_explain_is_consistent_and_prints_each_error_once(repo: Path, capsys) -> None:
    (repo / "clusters/production/apps/name.yaml").write_text(
        "spec:\n  image:\n"
        '    repository: ghcr.io/stefanprodan/podinfo # {"$imagepolicy": "flux-system:podinfo:name"}\n'
    )
    (repo / "clusters/production/web.yaml").write_text(DEPLOY.format(name="app").replace("semver:^1", "semver:>=1.2<2"))
    (repo.parent / "one.yaml").write_text("ghcr.io/stefanprodan/podinfo: [6.6.0]\nghcr.io/acme/app: [1.0.0]\n")
    code, out, err = run(capsys, "explain", "production", "--tags-from", str(repo.parent / "one.yaml"))
    assert code == 1
    assert "stays: ghcr.io/stefanprodan/podinfo (the name of the chosen tag 6.6.0)" in out
    assert "stays: (no tag)" not in out
    assert "considered: 1 tag\n" in out
    bad = [line for line in (out + err).splitlines() if "invalid semver constraint" in line]
    assert len(bad) == 1  # the policy error of container app, printed once


def test_a_file_name_that_is_not_utf8_is_a_named_error_not_a_crash(repo: Path, capsys, tmp_path: Path) -> None:
    import os

    os.rename(repo / "clusters/production/web.yaml", os.fsencode(repo / "clusters/production") + b"/caf\xe9.yaml")
    code, out, err = run(capsys, "scan", "production", "--tags-from", tags(repo), "--markdown", str(tmp_path / "r.md"))
    assert code == 1 and "the file name is not UTF-8; not read (rename the file)" in err
    assert "6.5.0 -> 6.6.0" in out and (tmp_path / "r.md").exists()


@pytest.mark.parametrize(("content", "message"), [(b"abc\xff{count}", "not UTF-8 text"), (b"abc\x00{count}", "NUL character")])
def test_a_message_template_file_git_cannot_store_is_exit_2(repo: Path, capsys, tmp_path: Path, content: bytes, message: str) -> None:
    (tmp_path / "template").write_bytes(content)
    code, _, err = run(capsys, "run", "production", "--tags-from", tags(repo), "--dry-run", "--message-template", f"@{tmp_path / 'template'}")
    assert code == 2 and message in err
