"""The release workflow does what a release needs, and every action reference is pinned."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW_FILES = sorted([*ROOT.glob(".github/workflows/*.yml"), *ROOT.glob("examples/github/*.yml")])
USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$", re.MULTILINE)
PINNED = re.compile(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}")
VERSION_COMMENT = re.compile(r"\s+# v\d+(\.\d+){0,2}\s*$")


def load(path: Path):
    return YAML(typ="safe").load(path.read_text())


RELEASE = load(ROOT / ".github/workflows/release.yml")


def steps(job: str) -> list[dict]:
    return RELEASE["jobs"][job]["steps"]


def uses(job: str, action: str) -> dict:
    (step,) = [s for s in steps(job) if str(s.get("uses", "")).startswith(action + "@")]
    return step


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_action_is_pinned_by_commit_with_its_version_in_a_comment(path):
    references = USES.findall(path.read_text())
    assert references
    for reference, comment in references:
        if reference.startswith("acme/deployment-automator@"):
            # the examples follow this action's major tag: the exception zizmor is told about
            assert reference == "acme/deployment-automator@v0"
            continue
        assert PINNED.fullmatch(reference), reference
        assert VERSION_COMMENT.fullmatch(comment), f"{reference} needs '# vX.Y.Z' after it"


def test_the_same_action_is_pinned_to_the_same_commit_everywhere():
    pins: dict[str, set[str]] = {}
    for path in WORKFLOW_FILES:
        for reference, comment in USES.findall(path.read_text()):
            name, _, ref = reference.partition("@")
            pins.setdefault(name, set()).add(ref + comment.strip())
    assert {name: refs for name, refs in pins.items() if len(refs) > 1} == {}


def test_the_release_runs_on_version_tags_with_no_default_permissions():
    on = RELEASE.get("on", RELEASE.get(True))
    assert on == {"push": {"tags": ["v*"]}}
    assert RELEASE["permissions"] == {}


def test_the_wheel_is_smoke_tested_in_a_fresh_venv_before_anything_is_published():
    run = "\n".join(s.get("run", "") for s in steps("dist"))
    assert "python -m build" in run and "python -m venv" in run
    assert "-c requirements.lock dist/*.whl" in run
    assert "automator\" --version" in run and "--tags-from" in run
    assert set(RELEASE["jobs"]["pypi"]["needs"]) == {"dist", "image"}


def test_pypi_gets_the_package_by_trusted_publishing_only():
    job = RELEASE["jobs"]["pypi"]
    assert job["permissions"] == {"id-token": "write"}
    publish = uses("pypi", "pypa/gh-action-pypi-publish")
    assert "with" not in publish  # no password, no token: the OIDC exchange
    assert job["environment"]["name"] == "pypi"


def test_the_image_is_smoke_tested_then_pushed_for_two_platforms_with_semver_tags_and_provenance():
    names = [str(s.get("uses", s.get("name"))).split("@")[0] for s in steps("image")]
    assert names.index("Smoke test of the image") < names.index("docker/login-action")
    push = [s for s in steps("image") if s.get("id") == "push"][0]
    assert push["with"]["platforms"] == "linux/amd64,linux/arm64" and push["with"]["push"] is True
    tags = uses("image", "docker/metadata-action")["with"]["tags"].split()
    assert tags == ["type=semver,pattern={{version}}", "type=semver,pattern={{major}}.{{minor}}",
                    "type=semver,pattern={{major}}"]
    attest = uses("image", "actions/attest-build-provenance")["with"]
    assert attest["subject-digest"] == "${{ steps.push.outputs.digest }}"
    assert attest["push-to-registry"] is True
    smoke = [s for s in steps("image") if s.get("name") == "Smoke test of the image"][0]["run"]
    assert "--version" in smoke and "--tags-from" in smoke


def test_the_smoke_tags_file_covers_the_bundled_example(capsys):
    from automator.cli import main

    code = main(["scan", str(ROOT / "examples/env-repo/clusters/production"),
                 "--tags-from", str(ROOT / ".github/smoke/tags.yaml"), "--json"])
    plan = json.loads(capsys.readouterr().out)
    assert (code, len(plan["updates"]), plan["errors"]) == (0, 3, [])


def test_the_major_tag_moves_after_both_publications_and_not_for_pre_releases():
    job = RELEASE["jobs"]["major-tag"]
    assert set(job["needs"]) == {"pypi", "image"}
    assert "'-'" in job["if"]
    assert job["permissions"] == {"contents": "write"}
    assert 'major="${TAG%%.*}"' in job["steps"][0]["run"]
