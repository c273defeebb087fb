"""Two jobs (or two images) whose branch names collide must not share, hijack or merge PRs.

Environments whose paths slugify the same, or one job per base branch with the same template,
render the same PR branch: the second job must refuse to take over the first one's PR (it would
flip-flop it on every run). Two images with the same short name get a branch each.
"""

from __future__ import annotations

import pytest
from forge_helpers import deployment, fake_github, git, make_env_repo, plan_for, tags

from automator.forge import GitHubForge, Settings, ensure_pull_requests
from automator.forge.naming import group_updates
from automator.git.branch import BranchPusher

TOKEN = "ghp_" + "n" * 36
TWO_WEBS = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations:
    fluxcd.io/automated: "true"
    fluxcd.io/tag.a: semver:^1
    fluxcd.io/tag.b: semver:^2
spec:
  template:
    spec:
      containers:
        - name: a
          image: ghcr.io/acme/web:1.0.0
        - name: b
          image: docker.io/other/web:2.0.0
"""


@pytest.fixture
def env(tmp_path):
    return make_env_repo(tmp_path, {"clusters/prod/app.yaml": deployment(), "clusters-prod/app.yaml": deployment(), "app.yaml": deployment()})


@pytest.fixture
def github(env):
    with fake_github(env, TOKEN) as fake:
        yield fake


def run(env, fake, plan, settings):
    forge = GitHubForge(api_url=fake.base, slug="acme/env", token=TOKEN, token_variable="GITHUB_TOKEN", throttle=False)
    return ensure_pull_requests(forge, BranchPusher(env.clone, base=settings.base), plan, settings)


def test_an_environment_does_not_take_over_the_pull_request_of_another_that_slugifies_the_same(env, github):
    """clusters/prod and clusters-prod both render automator/clusters-prod/all; the second
    one fails with a clear message instead of rewriting the first one's PR with its files."""
    prod = Settings(env_path="clusters/prod", base="main")
    run(env, github, plan_for(env.clone, tags(podinfo="6.5.1")), prod)
    tip, body = env.sha("automator/clusters-prod/all"), github.pulls[1]["body"]

    [outcome] = run(env, github, plan_for(env.clone, tags(podinfo="6.6.0"), scan="clusters-prod"), Settings(env_path="clusters-prod", base="main"))

    assert outcome.action == "failed" and "belongs to environment 'clusters/prod'" in outcome.error
    assert env.sha("automator/clusters-prod/all") == tip and github.pulls[1]["body"] == body
    assert [o.action for o in run(env, github, plan_for(env.clone, tags(podinfo="6.5.1")), prod)] == ["unchanged"]


def test_a_job_for_another_base_branch_does_not_hijack_the_pull_request(env, github):
    """A branch per environment (--branch staging, --branch prod) with the default template:
    the prod job must not force-push the staging job's PR branch and turn it into a prod PR."""
    for base in ("staging", "prod"):
        git(env.clone, "push", "--quiet", "origin", f"main:{base}")
    run(env, github, plan_for(env.clone, tags(podinfo="6.6.0"), scan="."), Settings(env_path="", base="staging"))
    tip = env.sha("automator/all")

    [outcome] = run(env, github, plan_for(env.clone, tags(podinfo="6.5.1"), scan="."), Settings(env_path="", base="prod"))

    assert outcome.action == "failed" and "targets base branch 'staging'" in outcome.error
    assert env.sha("automator/all") == tip and "podinfo:6.6.0" in env.show("automator/all", "app.yaml")
    assert [(p["base"], p["state"]) for p in github.pulls.values()] == [("staging", "open")]


def test_two_images_with_the_same_short_name_get_a_pull_request_each(tmp_path):
    """ghcr.io/acme/web and docker.io/other/web are different images: with --pr-per image
    they are not merged into one PR; only the colliding names are told apart."""
    repo = make_env_repo(tmp_path, {"clusters/prod/app.yaml": TWO_WEBS, "clusters/prod/db.yaml": deployment()})
    registry = {"ghcr.io/acme/web": ["1.0.0", "1.0.1"], "docker.io/other/web": ["2.0.0", "2.0.1"], **tags(podinfo="6.5.1")}

    groups = group_updates(plan_for(repo.clone, registry), env_path="clusters/prod", per="image")

    assert [(g.branch, g.repositories) for g in groups] == [
        ("automator/clusters-prod/acme-web", ("ghcr.io/acme/web",)),
        ("automator/clusters-prod/other-web", ("docker.io/other/web",)),
        ("automator/clusters-prod/podinfo", ("ghcr.io/acme/podinfo",)),
    ]
