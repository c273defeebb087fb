"""A repository's own rules file that cannot be used is named as the user knows it: its path in
the repository and the repository, ``ci-rules.yaml:3 in host/org/repo@ref``, never the
temporary clone it was read from (deleted before anyone reads the report)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from git_helpers import ROOT, automator_command, deployment, isolated_git, make_remote  # noqa: F401

BROKEN = "version: 1\nrules: [oops\n"  # the list is never closed: line 3 is where YAML gives up


def fleet_json(tmp_path: Path, entry: str) -> dict:
    (tmp_path / "tags.yaml").write_text("registry.example/team/app: [1.0.0, 1.2.0]\n")
    (tmp_path / "fleet.yaml").write_text(f"version: 1\ndefaults: {{ref: main, path: envs/prod}}\nrepositories:\n{entry}")
    environ = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp_path)}
    done = subprocess.run([*automator_command(), "fleet", "fleet.yaml", "--tags-from", "tags.yaml", "--dry-run", "--json"],
                          cwd=tmp_path, env=environ, capture_output=True, text=True, timeout=300)
    assert "automator-clone" not in done.stdout + done.stderr
    assert done.returncode == 2, done.stderr
    return json.loads(done.stdout)


def only_path_error(document: dict) -> tuple[str, str]:
    (repository,) = document["repositories"]
    (path,) = repository["paths"]
    return f"{repository['name']}@{repository['ref']}", path["error"]


@pytest.fixture
def remote(tmp_path) -> Path:
    (tmp_path / "env").mkdir()
    files = {"envs/prod/app.yaml": deployment("app", "registry.example/team/app:1.0.0"), "ci-rules.yaml": BROKEN,
             "envs/dev/.automator.yaml": BROKEN, "envs/dev/app.yaml": deployment("app", "registry.example/team/app:1.0.0")}
    return make_remote(tmp_path / "env", files)


def test_an_invalid_rules_file_of_the_rules_key_is_named_in_its_repository(tmp_path, remote):
    label, error = only_path_error(fleet_json(tmp_path, f"  - url: file://{remote}\n    rules: ci-rules.yaml\n"))
    assert error.startswith(f"ci-rules.yaml:3 in {label}: not valid YAML")


def test_a_rules_file_the_repository_does_not_have_is_named_in_its_repository(tmp_path, remote):
    label, error = only_path_error(fleet_json(tmp_path, f"  - url: file://{remote}\n    rules: missing.yaml\n"))
    assert error == f"missing.yaml in {label}: cannot read rules file: No such file or directory"


def test_an_invalid_rules_file_found_for_the_path_is_named_in_its_repository(tmp_path, remote):
    label, error = only_path_error(fleet_json(tmp_path, f"  - url: file://{remote}\n    path: envs/dev\n"))
    assert error.startswith(f"envs/dev/.automator.yaml:3 in {label}: not valid YAML")
