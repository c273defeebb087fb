"""Branch names are deterministic, templatable and safe; grouping per run or per image."""

from __future__ import annotations

import pytest
from forge_helpers import deployment, make_env_repo, plan_for, tags

from automator.errors import ConfigError
from automator.forge.naming import env_slug, group_updates, image_slug, owned_prefix, render_branch


@pytest.mark.parametrize(
    ("path", "slug"),
    [("clusters/prod", "clusters-prod"), (".", ""), ("", ""), ("Envs/EU West/", "envs-eu-west"), ("./apps//prod", "apps-prod")],
)
def test_environment_slugs(path, slug):
    assert env_slug(path) == slug


@pytest.mark.parametrize(
    ("repository", "slug"),
    [("ghcr.io/acme/podinfo", "podinfo"), ("docker.io/library/redis", "redis"), ("registry:5000/Team/API_Server", "api_server")],
)
def test_image_slugs(repository, slug):
    assert image_slug(repository) == slug


@pytest.mark.parametrize(
    ("template", "env", "image", "branch"),
    [
        ("automator/{env}/{image}", "clusters-prod", "podinfo", "automator/clusters-prod/podinfo"),
        ("automator/{env}/{image}", "", "podinfo", "automator/podinfo"),
        ("deps/{image}-{env}", "prod", "all", "deps/all-prod"),
        ("images/{images}", "prod", "all", "images/podinfo+redis"),
    ],
)
def test_templates_render_valid_branch_names(template, env, image, branch):
    assert render_branch(template, env=env, image=image, images=["podinfo", "redis"]) == branch


@pytest.mark.parametrize("template", ["automator/{environment}", "automator/{image", "{env}/x.lock"])
def test_bad_templates_are_rejected_with_the_template_named(template):
    with pytest.raises(ConfigError, match="--branch-template"):
        render_branch(template, env="prod", image="podinfo", images=["podinfo"])


@pytest.mark.parametrize(
    ("template", "prefix"),
    [("automator/{env}/{image}", "automator/"), ("bots/images/{image}", "bots/images/"), ("{env}-{image}", ""), ("auto-{image}", "")],
)
def test_owned_prefix_is_the_literal_directory_before_the_first_field(template, prefix):
    assert owned_prefix(template) == prefix


def test_grouping_per_run_and_per_image(tmp_path):
    env = make_env_repo(tmp_path, {"clusters/prod/app.yaml": deployment()})
    plan = plan_for(env.clone, tags(podinfo="6.5.1", redis="7.2.4"))

    [one] = group_updates(plan, env_path="clusters/prod")
    per_image = group_updates(plan, env_path="clusters/prod", per="image")

    assert one.branch == "automator/clusters-prod/all" and len(one.updates) == 2
    assert [(g.branch, g.repositories) for g in per_image] == [
        ("automator/clusters-prod/podinfo", ("ghcr.io/acme/podinfo",)),
        ("automator/clusters-prod/redis", ("docker.io/library/redis",)),
    ]


def test_an_image_a_rule_sets_apart_gets_its_own_group_and_the_others_stay_on_the_runs_branch(tmp_path):
    """pr: {group: image} on redis: podinfo's update stays in the run's PR whether or not redis
    has an update this time, so it never moves between PRs (and loses its reviews)."""
    env = make_env_repo(tmp_path, {"clusters/prod/app.yaml": deployment()})
    both = plan_for(env.clone, tags(podinfo="6.5.1", redis="7.2.4"))
    podinfo_only = plan_for(env.clone, tags(podinfo="6.5.1"))
    apart = frozenset({"docker.io/library/redis"})

    assert [(g.branch, g.repositories) for g in group_updates(both, env_path="clusters/prod", apart=apart)] == [
        ("automator/clusters-prod/all", ("ghcr.io/acme/podinfo",)),
        ("automator/clusters-prod/redis", ("docker.io/library/redis",)),
    ]
    assert [g.branch for g in group_updates(podinfo_only, env_path="clusters/prod", apart=apart)] == ["automator/clusters-prod/all"]
