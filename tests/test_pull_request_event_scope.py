"""An event-driven run (``--pushed``/``--event``) with ``--pr`` is about the pushed images only.

It must leave the pull requests of every other image alone: not close them ("the base already
has these updates" would be false), and not rewrite a per-run PR without their updates. A
per-run PR that holds other images is kept as it is; the next full run brings it up to date.
"""

from __future__ import annotations

import json

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

TOKEN = "ghp_" + "e" * 36
APP = "clusters/prod/app.yaml"
ALL = "automator/clusters-prod/all"


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


def automator_run(tmp_path, fake, registry, *extra):
    tags_file = tmp_path / f"tags-{len(list(tmp_path.glob('tags-*')))}.json"
    tags_file.write_text(json.dumps(registry))
    return main(["run", "clusters/prod", "--tags-from", str(tags_file), "--pr", "--forge-url", fake.base, "--json", *extra])


def pull_requests(capsys):
    return [(p["action"], p["branch"]) for p in json.loads(capsys.readouterr().out)["pull_requests"]]


def test_an_event_run_updates_its_image_and_leaves_the_pull_request_of_another_image_open(world, tmp_path, capsys):
    """With --pr-per image, the redis PR is none of a podinfo push's business: closing it with
    "the base already has these updates" would be false, and would delete its branch. The
    podinfo PR still follows the push."""
    env, fake = world
    assert automator_run(tmp_path, fake, tags(podinfo="6.5.1", redis="7.2.4"), "--pr-per", "image") == 0
    capsys.readouterr()

    pushed = tags(podinfo="6.6.0", redis="7.2.4")
    assert automator_run(tmp_path, fake, pushed, "--pr-per", "image", "--pushed", "ghcr.io/acme/podinfo:6.6.0") == 0

    assert pull_requests(capsys) == [("updated", "automator/clusters-prod/podinfo"), ("kept", "automator/clusters-prod/redis")]
    assert "podinfo:6.6.0" in env.show("automator/clusters-prod/podinfo", APP)
    assert [p["head"] for p in fake.open_pulls()] == ["automator/clusters-prod/podinfo", "automator/clusters-prod/redis"]
    assert fake.comments == [] and env.branch_exists("automator/clusters-prod/redis")


def test_an_event_run_does_not_drop_other_images_from_the_per_run_pull_request(world, tmp_path, capsys):
    """The one PR of the run holds podinfo and redis; a podinfo push must not force-push it
    without the redis update. It is kept as it is (the next full run updates it)."""
    env, fake = world
    both = tags(podinfo="6.5.1", redis="7.2.4")
    assert automator_run(tmp_path, fake, both) == 0
    capsys.readouterr()
    tip, body = env.sha(ALL), fake.pulls[1]["body"]

    assert automator_run(tmp_path, fake, tags(podinfo="6.6.0", redis="7.2.4"), "--pushed", "ghcr.io/acme/podinfo:6.6.0") == 0

    assert pull_requests(capsys) == [("kept", ALL)]
    assert env.sha(ALL) == tip and "redis:7.2.4" in env.show(ALL, APP)
    assert fake.pulls[1]["body"] == body
