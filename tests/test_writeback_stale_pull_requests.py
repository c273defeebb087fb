"""Pull requests opened through rules (``write: pr``) are closed by the commit runs that follow
once the base has their update, or once the rules send the image to commits again: the
documented "base already has the update -> comment, close, delete the branch" holds without
``--pr``. A run whose environment has no pull request branch on the remote asks the forge
nothing."""

from __future__ import annotations

import json
import subprocess

import pytest
from forge_helpers import (
    as_github_clone,
    deployment,
    fake_github,
    isolate_git,
    make_env_repo,
    tags,
)

from automator.cli import main

TOKEN = "ghp_" + "c" * 36
APP = "clusters/prod/app.yaml"
BRANCH = "automator/clusters-prod/all"
PODINFO_TO_PR = "version: 1\nrules:\n  - write: commit\n  - match: {images: ghcr.io/acme/podinfo}\n    write: pr\n"
ALL_TO_COMMIT = "version: 1\nrules:\n  - write: commit\n"


@pytest.fixture(autouse=True)
def isolated(tmp_path_factory, monkeypatch):
    isolate_git(tmp_path_factory.mktemp("home"), monkeypatch, TOKEN)


@pytest.fixture
def world(tmp_path, monkeypatch):
    env = make_env_repo(tmp_path, {APP: deployment(), ".automator.yaml": PODINFO_TO_PR})
    as_github_clone(env)
    monkeypatch.chdir(env.clone)
    with fake_github(env, TOKEN) as fake:
        yield env, fake


def commit_run(tmp_path, fake, podinfo):
    """``automator run`` without --pr: the rules say where each update goes."""
    tags_file = tmp_path / "tags.json"
    tags_file.write_text(json.dumps(tags(podinfo=podinfo)))
    return main(["run", "clusters/prod", "--tags-from", str(tags_file), "--forge-url", fake.base])


def open_through_rules(world, tmp_path, capsys):
    env, fake = world
    assert commit_run(tmp_path, fake, "6.5.1") == 0
    assert f"created: https://github.example/acme/env/pull/1 ({BRANCH})" in capsys.readouterr().out
    return env, fake


def test_a_commit_run_closes_the_pull_request_whose_update_the_base_already_has(world, tmp_path, capsys):
    env, fake = open_through_rules(world, tmp_path, capsys)
    env.commit_on_main(APP, deployment(podinfo="ghcr.io/acme/podinfo:6.5.1"))  # bumped by hand

    assert commit_run(tmp_path, fake, "6.5.1") == 0

    assert f"closed: https://github.example/acme/env/pull/1 ({BRANCH})" in capsys.readouterr().out
    assert fake.open_pulls() == [] and not env.branch_exists(BRANCH)
    [(number, comment)] = fake.comments
    assert number == 1 and "already has these updates" in comment


def test_a_pull_request_is_closed_once_the_rules_send_its_image_to_commits(world, tmp_path, capsys, monkeypatch):
    env, fake = open_through_rules(world, tmp_path, capsys)
    env.commit_on_main(".automator.yaml", ALL_TO_COMMIT)

    assert commit_run(tmp_path, fake, "6.5.1") == 0

    out = capsys.readouterr().out
    assert "committed" in out and f"closed: https://github.example/acme/env/pull/1 ({BRANCH})" in out
    assert "no updates" not in out  # the commit has the update: the closing needs no table of its own
    assert "podinfo:6.5.1" in env.show("main", APP)
    assert fake.open_pulls() == [] and not env.branch_exists(BRANCH)

    seen = len(fake.requests)
    monkeypatch.delenv("GITHUB_TOKEN")
    assert commit_run(tmp_path, fake, "6.6.0") == 0
    assert "podinfo:6.6.0" in env.show("main", APP)
    assert len(fake.requests) == seen, "no branch of a pull request is left: the forge is not asked"


def test_a_remote_whose_forge_cannot_be_told_stops_the_run_before_the_commit_part_is_pushed(tmp_path, monkeypatch, capsys):
    """A rule sends podinfo to a pull request, redis goes to a commit: with a remote that is a
    local path, the pull request cannot be opened, so nothing is pushed (exit 2, nothing done)."""
    env = make_env_repo(tmp_path, {APP: deployment(), ".automator.yaml": PODINFO_TO_PR})
    monkeypatch.chdir(env.clone)
    tags_file = tmp_path / "tags.json"
    tags_file.write_text(json.dumps(tags(podinfo="6.5.1", redis="7.2.4")))
    before = subprocess.run(["git", "-C", str(env.bare), "rev-parse", "main"], capture_output=True, text=True).stdout
    assert main(["run", "clusters/prod", "--tags-from", str(tags_file)]) == 2
    assert "cannot read host and project from the remote URL" in capsys.readouterr().err
    assert subprocess.run(["git", "-C", str(env.bare), "rev-parse", "main"], capture_output=True, text=True).stdout == before
