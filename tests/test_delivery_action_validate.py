"""``mode: validate`` is a check that fails on invalid manifests: ``fail-on-problems: false``
(meant for an update run's problems) does not apply to it, and the step says so."""

from __future__ import annotations

import pytest

from automator.ci import action as entry

TYPO = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations:
    fluxcd.io/automated: "true"
    fluxcd.io/tag.app: semver:^^1
spec:
  template:
    spec:
      containers:
      - name: app
        image: ghcr.io/acme/app:1.0.0
"""


def inputs(**values: str) -> dict[str, str]:
    return {entry.input_variable(name.replace("_", "-")): value for name, value in values.items()}


@pytest.fixture
def invalid_workspace(tmp_path, monkeypatch):
    (tmp_path / "web.yaml").write_text(TYPO)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def validate_step(workspace, **given: str) -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "RUNNER_TEMP": str(workspace), "GITHUB_WORKSPACE": str(workspace),
            **inputs(mode="validate", path=".", **given)}


def annotations(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith("::") and not line.startswith("::add-mask::")]


def test_validate_fails_on_invalid_manifests_even_with_fail_on_problems_false(invalid_workspace, capsys):
    assert entry.main(validate_step(invalid_workspace, fail_on_problems="false")) == 1

    assert "reported as warnings" not in capsys.readouterr().out


def test_validate_says_that_fail_on_problems_false_does_not_apply_to_it(invalid_workspace, capsys):
    entry.main(validate_step(invalid_workspace, fail_on_problems="false"))

    assert annotations(capsys.readouterr().out) == [
        "::warning title=input fail-on-problems::input fail-on-problems does not apply to mode validate: "
        "invalid manifests fail the check",
    ]

