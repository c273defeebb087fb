"""The whole scan against the real registry: CLI -> RegistryTagSource -> policies -> report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def deployment(name: str, image: str, policy: str) -> str:
    return f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  annotations:
    fluxcd.io/automated: "true"
    fluxcd.io/tag.app: {policy}
spec:
  template:
    spec:
      containers:
      - name: app
        image: {image}
"""


@pytest.fixture(scope="module")
def pushed(local_registry):
    for tag, created in [("1.0.0", "2024-01-01T00:00:00Z"), ("1.4.0", "2024-02-01T00:00:00Z"),
                         ("2.0.0", "2024-03-01T00:00:00Z")]:
        local_registry.push("e2e/api", tag, created=created)
    # build-time policy: the newest build wins, whatever the name says
    local_registry.push("e2e/web", "main-bbb", created="2024-05-01T00:00:00Z")
    local_registry.push("e2e/web", "main-zzz", created="2024-04-01T00:00:00Z")
    local_registry.push("e2e/web", "main-aaa", created="2024-06-01T00:00:00Z", platforms=["linux/amd64"])
    return local_registry


def _scan(tree: Path, cache: Path, *extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_PROXY", "_proxy"))}
    env.update(HOME=str(tree), DOCKER_CONFIG=str(tree / ".docker"))
    return subprocess.run(
        [sys.executable, "-m", "automator", "scan", str(tree / "envs"), "--json", "--cache-dir", str(cache), *extra],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )


def test_scan_lists_tags_fetches_build_times_and_reports_a_missing_repository(pushed, tmp_path):
    host = pushed.host
    envs = tmp_path / "envs"
    envs.mkdir()
    (envs / "api.yaml").write_text(deployment("api", f"{host}/e2e/api:1.0.0", "semver:~1"))
    (envs / "web.yaml").write_text(deployment("web", f"{host}/e2e/web:main-zzz", "glob:main-*"))
    (envs / "gone.yaml").write_text(deployment("gone", f"{host}/e2e/gone:1.0.0", "semver:^1"))

    done = _scan(tmp_path, tmp_path / "cache")

    assert done.returncode == 1, done.stderr  # one image failed, the others were processed
    report = json.loads(done.stdout)
    moves = {u["image"]: (u["from"], u["to"]) for u in report["updates"]}
    assert moves == {f"{host}/e2e/api": ("1.0.0", "1.4.0"), f"{host}/e2e/web": ("main-zzz", "main-aaa")}
    (error,) = report["errors"]
    assert f"{host}/e2e/gone" in error["message"] and "HTTP 404" in error["message"]
    assert (tmp_path / "cache").is_dir()
