"""``automator run PATH --pr`` end to end: the CLI, the real pipeline, real git, a fake GitHub."""

from __future__ import annotations

import json

import pytest
from forge_helpers import (
    as_github_clone,
    deployment,
    fake_github,
    git,
    isolate_git,
    make_env_repo,
    tags,
)

from automator.cli import main

TOKEN = "ghp_" + "c" * 36
APP = "clusters/prod/app.yaml"


@pytest.fixture(autouse=True)
def isolated(tmp_path_factory, monkeypatch):
    isolate_git(tmp_path_factory.mktemp("home"), monkeypatch, TOKEN)


@pytest.fixture
def world(tmp_path, monkeypatch):
    env = make_env_repo(tmp_path, {APP: deployment()})
    as_github_clone(env)
    monkeypatch.chdir(env.clone)
    with fake_github(env, TOKEN) as fake:
        yield env, fake


def automator_run(tmp_path, fake, podinfo, *extra):
    tags_file = tmp_path / f"tags-{podinfo}.json"
    tags_file.write_text(json.dumps(tags(podinfo=podinfo)))
    return main(["run", "clusters/prod", "--tags-from", str(tags_file), "--pr", "--forge-url", fake.base, *extra])


def test_run_with_pr_opens_then_keeps_then_updates_one_pull_request(world, tmp_path, capsys):
    env, fake = world
    head = env.sha("main")

    assert automator_run(tmp_path, fake, "6.5.1", "--label", "automated") == 0
    out = capsys.readouterr().out
    assert "created: https://github.example/acme/env/pull/1 (automator/clusters-prod/all)" in out
    assert env.sha("main") == head, "--pr never pushes to the base"
    assert git(env.clone, "status", "--porcelain") == "", "the checkout is left as it was"
    assert "podinfo:6.5.0" in (env.clone / APP).read_text()
    assert fake.pulls[1]["labels"] == ["automated"]

    writes = len(fake.writes())
    assert automator_run(tmp_path, fake, "6.5.1", "--label", "automated") == 0
    assert "unchanged: https://github.example/acme/env/pull/1" in capsys.readouterr().out
    assert len(fake.writes()) == writes

    assert automator_run(tmp_path, fake, "6.6.0", "--json") == 0
    document = json.loads(capsys.readouterr().out)
    assert [(p["action"], p["number"]) for p in document["pull_requests"]] == [("updated", 1)]
    assert "podinfo:6.6.0" in env.show("automator/clusters-prod/all", APP)
    assert TOKEN not in (env.clone / ".git" / "config").read_text()


def test_refused_token_exits_3_and_names_the_variable_not_the_token(world, tmp_path, capsys, monkeypatch):
    env, fake = world
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_" + "z" * 36)

    assert automator_run(tmp_path, fake, "6.5.1") == 3
    captured = capsys.readouterr()
    assert "the token in GITHUB_TOKEN is invalid or expired" in captured.out
    assert "z" * 36 not in captured.out + captured.err


def test_pr_and_no_push_do_not_mix(world, tmp_path, capsys):
    _, fake = world
    assert automator_run(tmp_path, fake, "6.5.1", "--no-push") == 2
    assert "--no-push" in capsys.readouterr().err


def test_a_checkout_behind_the_base_plans_against_the_fresh_base(world, tmp_path, capsys):
    """A scheduled job's checkout is never pulled: someone bumped the image on main meanwhile,
    so the open pull request is stale and must be closed, not kept or failed on."""
    env, fake = world
    assert automator_run(tmp_path, fake, "6.5.1") == 0
    human = env.another_clone(tmp_path / "human")
    (human / APP).write_text(deployment(podinfo="ghcr.io/acme/podinfo:6.5.1"))
    git(human, "commit", "--quiet", "-am", "podinfo 6.5.1 by hand")
    git(human, "push", "--quiet", "origin", "main")
    capsys.readouterr()

    assert automator_run(tmp_path, fake, "6.5.1") == 0

    assert "closed: https://github.example/acme/env/pull/1" in capsys.readouterr().out
    assert fake.pulls[1]["state"] == "closed"
    assert "podinfo:6.5.0" in (env.clone / APP).read_text(), "the checkout is left as it was"
