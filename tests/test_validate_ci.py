"""``automator validate`` in CI: the Action's ``mode: validate``, the GitLab ``validate`` job
and the example workflow for pull requests to the environment repository."""

from __future__ import annotations

from pathlib import Path

import yaml

from automator.ci import action as entry
from automator.ci import inputs as ci_inputs

ROOT = Path(__file__).resolve().parent.parent
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
"""


def inputs(**values: str) -> dict[str, str]:
    return {entry.input_variable(name.replace("_", "-")): value for name, value in values.items()}


def test_mode_validate_runs_validate_with_only_the_inputs_it_takes() -> None:
    argv, env = ci_inputs.command_argv(inputs(mode="validate", path="envs/prod", rules="r.yaml", token="ghs_secretsecretsecret", tags_file="t.json"))
    assert (argv, env) == (["validate", "--rules=r.yaml", "envs/prod"], {})
    argv, _ = ci_inputs.command_argv(inputs(mode="pr", path="envs/prod"))
    assert argv == ["run", "--pr", "envs/prod"]


def test_the_action_in_mode_validate_fails_a_pull_request_with_a_typo(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "web.yaml").write_text(DEPLOY.format(name="app"))
    monkeypatch.chdir(tmp_path)
    environ = {"PATH": "/usr/bin:/bin", "RUNNER_TEMP": str(tmp_path), "GITHUB_WORKSPACE": str(tmp_path), **inputs(mode="validate", path=".")}
    assert entry.main(environ) == 0
    (tmp_path / "web.yaml").write_text(DEPLOY.format(name="ap"))
    assert entry.main(environ) == 1


def test_the_gitlab_template_validates_merge_requests() -> None:
    _, template = yaml.safe_load_all((ROOT / "templates/automator.yml").read_text())
    job = template["automator:validate"]
    assert job["script"] == ['automator validate "$AUTOMATOR_PATH"']
    assert {"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'} in job["rules"]


def test_the_example_workflow_validates_pull_requests_with_the_action() -> None:
    workflow = yaml.safe_load((ROOT / "examples/github/validate.yml").read_text())
    on = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert set(on) == {"pull_request"} and workflow["permissions"] == {}
    assert workflow["jobs"]["validate"]["permissions"] == {"contents": "read"}
    (step,) = [s for s in workflow["jobs"]["validate"]["steps"] if str(s.get("uses", "")).startswith("acme/deployment-automator")]
    assert step["with"]["mode"] == "validate"
    assert set(step["with"]) <= set(yaml.safe_load((ROOT / "action.yml").read_text())["inputs"])
