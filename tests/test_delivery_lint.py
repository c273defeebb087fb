"""The lint step of `make test` fails where it should: the tools and configuration it runs
reject a template injection, a tag-pinned action and a bad Dockerfile, and let through only
this action's own major tag. (The tools are installed by `make lint-tools`.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    path = BIN / name
    if not path.exists():
        pytest.skip(f"{name} is not installed in this environment: `make lint-tools` installs it")
    return str(path)


def zizmor(tmp_path: Path, workflow: str) -> subprocess.CompletedProcess:
    target = tmp_path / "workflow.yml"
    target.write_text(workflow)
    return subprocess.run([tool("zizmor"), "--offline", "--config", str(ROOT / ".github/zizmor.yml"), str(target)],
                          capture_output=True, text=True, timeout=120)


HEAD = """name: t
on: push
permissions: {}
jobs:
  j:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
        with:
          persist-credentials: false
"""


def test_the_examples_form_passes(tmp_path):
    done = zizmor(tmp_path, HEAD + "      - uses: acme/deployment-automator@v0\n")
    assert done.returncode == 0, done.stdout + done.stderr


def test_each_finding_fails_the_lint(tmp_path):
    steps = {
        "template-injection": "      - run: echo ${{ github.ref_name }}\n",
        "unpinned-uses": "      - uses: docker/login-action@v3\n      - uses: acme/other-action@v1\n",
    }
    done = zizmor(tmp_path, HEAD + "".join(steps.values()))
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert {audit for audit in steps if audit in output} == set(steps)
    assert "docker/login-action@v3" in output and "acme/other-action@v1" in output


def test_hadolint_fails_on_a_dockerfile_the_project_would_not_accept(tmp_path):
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM python:3.12-slim\nRUN apt-get update && apt-get install -y git\n")
    done = subprocess.run([tool("hadolint"), "--config", str(ROOT / ".hadolint.yaml"), str(dockerfile)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "DL3015" in done.stdout  # --no-install-recommends


def test_the_gitlab_schema_rejects_a_misspelt_job_keyword(tmp_path):
    job = tmp_path / "ci.yml"
    job.write_text("job:\n  stage: test\n  scripts: [echo]\n")
    done = subprocess.run([tool("check-jsonschema"), "--builtin-schema", "vendor.gitlab-ci", "--data-transform",
                           "gitlab-ci", str(job)], capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
