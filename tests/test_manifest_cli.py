"""The scan/update command contract, run as a user runs it (a subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations:
    fluxcd.io/automated: "true"
    fluxcd.io/tag.app: semver:^1
spec:
  template:
    spec:
      initContainers:
      - name: init
        image: acme/init
      containers:
      - name: app
        image: ghcr.io/acme/app:1.0.0   # pinned by automation
"""
TAGS = (
    "ghcr.io/acme/app: [1.0.0, 1.4.0, 2.0.0]\n"
    "acme/init: [{tag: v2, created: '2024-02-01T00:00:00Z'}, {tag: v1, created: '2024-01-01T00:00:00Z'}]\n"
)


def automator(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "automator", *args], capture_output=True, text=True, env=env, timeout=60)


def repo(tmp_path: Path) -> tuple[Path, Path]:
    env = tmp_path / "env"
    (env / "apps").mkdir(parents=True)
    (env / "apps" / "web.yaml").write_text(DEPLOY)
    (env / "chart.yaml").write_text("name: {{ .Release.Name }}\n")  # not automation: skipped quietly
    tags = tmp_path / "tags.yaml"
    tags.write_text(TAGS)
    return env, tags


def test_scan_json_reports_updates_and_changes_nothing(tmp_path: Path) -> None:
    env, tags = repo(tmp_path)
    result = automator("scan", str(env), "--tags-from", str(tags), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report) == {"updates", "errors"} and report["errors"] == []
    assert [{k: u[k] for k in ("file", "image", "container", "from", "to", "policy")} for u in report["updates"]] == [
        {"file": "apps/web.yaml", "image": "docker.io/acme/init", "container": "init", "from": "", "to": "v2", "policy": "glob:*"},
        {"file": "apps/web.yaml", "image": "ghcr.io/acme/app", "container": "app", "from": "1.0.0", "to": "1.4.0", "policy": "semver:^1"},
    ]
    assert all(u["reason"] for u in report["updates"])
    assert (env / "apps" / "web.yaml").read_text() == DEPLOY


def test_scan_of_a_single_file_names_it_by_its_file_name(tmp_path: Path) -> None:
    env, tags = repo(tmp_path)
    result = automator("scan", str(env / "apps" / "web.yaml"), "--tags-from", str(tags), "--json")
    assert {u["file"] for u in json.loads(result.stdout)["updates"]} == {"web.yaml"}


def test_scan_text_is_a_table_of_file_image_change_and_policy(tmp_path: Path) -> None:
    env, tags = repo(tmp_path)
    result = automator("scan", str(env), "--tags-from", str(tags))
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["FILE:LINE", "CONTAINER", "IMAGE", "CURRENT", "->", "NEW", "POLICY"]
    assert lines[2].split()[1:] == ["app", "ghcr.io/acme/app", "1.0.0", "->", "1.4.0", "semver:^1"]
    assert lines[2].split()[0] == "apps/web.yaml:16"  # outside git: relative to PATH
    assert result.returncode == 0 and result.stderr == ""


def test_update_dry_run_prints_a_unified_diff_and_writes_nothing(tmp_path: Path) -> None:
    env, tags = repo(tmp_path)
    result = automator("update", str(env), "--tags-from", str(tags), "--dry-run")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[:2] == ["--- a/apps/web.yaml", "+++ b/apps/web.yaml"]
    assert "-        image: ghcr.io/acme/app:1.0.0   # pinned by automation" in result.stdout.splitlines()
    assert "+        image: ghcr.io/acme/app:1.4.0   # pinned by automation" in result.stdout.splitlines()
    assert "+        image: acme/init:v2" in result.stdout.splitlines()
    assert (env / "apps" / "web.yaml").read_text() == DEPLOY


def test_update_writes_and_a_second_run_finds_nothing_to_do(tmp_path: Path) -> None:
    env, tags = repo(tmp_path)
    first = automator("update", str(env), "--tags-from", str(tags))
    assert first.returncode == 0, first.stderr
    assert (env / "apps" / "web.yaml").read_text() == DEPLOY.replace("app:1.0.0", "app:1.4.0").replace(
        "acme/init\n", "acme/init:v2\n"
    )
    second = automator("update", str(env), "--tags-from", str(tags))
    assert second.returncode == 0 and second.stdout.startswith("no updates")


def test_a_failing_file_or_image_exits_1_and_the_rest_is_still_done(tmp_path: Path) -> None:
    env, tags = repo(tmp_path)
    (env / "broken.yaml").write_text('metadata: {annotations: {fluxcd.io/automated: "true"}\n')
    (env / "other.yaml").write_text(DEPLOY.replace("ghcr.io/acme/app:1.0.0", "quay.io/acme/unknown:1.0.0"))
    scan = automator("scan", str(env), "--tags-from", str(tags), "--json")
    assert scan.returncode == 1
    errors = json.loads(scan.stdout)["errors"]
    assert {(e["file"], e["image"]) for e in errors} == {("broken.yaml", ""), ("other.yaml", "quay.io/acme/unknown")}
    update = automator("update", str(env), "--tags-from", str(tags))
    assert update.returncode == 1 and "broken.yaml" in update.stderr
    assert "app:1.4.0" in (env / "apps" / "web.yaml").read_text()


def test_usage_and_configuration_errors_exit_2(tmp_path: Path) -> None:
    env, tags = repo(tmp_path)
    (tmp_path / "bad.yaml").write_text("- nginx\n")  # not a mapping at all
    cases = [
        ("scan",),
        ("scan", str(tmp_path / "missing"), "--tags-from", str(tags)),
        ("scan", str(env), "--tags-from", str(tmp_path / "bad.yaml")),
        ("update", str(env), "--tags-from", str(tmp_path / "nothere.yaml")),
    ]
    for args in cases:
        result = automator(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert result.stderr.strip(), args
    assert (env / "apps" / "web.yaml").read_text() == DEPLOY


@pytest.mark.parametrize("command", ["scan", "update"])
def test_manifest_help_shows_examples_and_every_way_images_are_automated(command: str) -> None:
    result = automator(command, "--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    for shown in ["examples:", f"automator {command} ", "--tags-from", "$imagepolicy", "Kustomization images:"]:
        assert shown in text
