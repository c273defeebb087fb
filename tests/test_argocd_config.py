"""Argo CD Image Updater configuration, read as Argo reads it: image lists, strategies, tag
filters, ImageUpdater resources and which Applications they select."""

import pytest

from automator.manifest.argocd.catalog import AppsBuilder, normalise_url
from automator.manifest.argocd.config import (
    UpdateSettings,
    images_from_annotations,
    policy_for,
    split_image,
)
from automator.manifest.argocd.globs import match_regex
from automator.model import TagInfo
from automator.policy import make_policy

P = "argocd-image-updater.argoproj.io/"


@pytest.mark.parametrize(
    ("entry", "parts"),
    [
        ("nginx", ("", "nginx", "")),
        ("web=ghcr.io/acme/web:~1.2", ("web", "ghcr.io/acme/web", "~1.2")),
        ("api=localhost:5000/acme/api:>=1.0 <2", ("api", "localhost:5000/acme/api", ">=1.0 <2")),
        (" cache = redis:7.2.x ", ("cache", "redis", "7.2.x")),
    ],
)
def test_an_image_list_entry_is_alias_image_and_constraint(entry, parts):
    assert split_image(entry) == parts


def test_image_list_with_per_alias_settings():
    annotations = {
        P + "image-list": "web=ghcr.io/acme/web:^1, worker=ghcr.io/acme/worker",
        P + "web.allow-tags": "regexp:^1\\.[0-9]+\\.[0-9]+$",
        P + "web.ignore-tags": "*-debug, 1.9.?",
        P + "worker.update-strategy": "latest",
        P + "worker.helm.image-name": "worker.image.repository",
        P + "worker.helm.image-tag": "worker.image.tag",
        P + "worker.platforms": "linux/amd64, linux/arm64",
        P + "worker.force-update": "true",
    }
    (web, worker), errors = images_from_annotations(annotations, source="apps/web.yaml", line=1)
    assert errors == []
    assert (web.alias, web.repository, web.strategy, web.policy.spec) == ("web", "ghcr.io/acme/web", "semver", "semver:^1")
    assert web.policy.filter == "^1\\.[0-9]+\\.[0-9]+$" and web.policy.exclude == ("^[^/]*\\-debug$", "^1\\.9\\.[^/]$")
    assert (worker.strategy, worker.policy.spec, worker.helm_name, worker.helm_tag) == (
        "newest-build", "glob:*", "worker.image.repository", "worker.image.tag")
    assert worker.platforms == ("linux/amd64", "linux/arm64") and worker.force_update


@pytest.mark.parametrize(
    ("strategy", "constraint", "spec"),
    [
        (None, "", "semver:>=0.0.0-0"),
        ("semver", "~1.2", "semver:~1.2"),
        ("newest-build", "", "glob:*"),
        ("latest", "", "glob:*"),
        ("alphabetical", "", "alphabetical:asc"),
        ("name", "", "alphabetical:asc"),
        ("digest", "latest", "regex:^latest$"),
    ],
)
def test_strategies_become_policies_that_choose_as_argo_does(strategy, constraint, spec):
    _, policy = policy_for("nginx", constraint, UpdateSettings(strategy=strategy), source="a.yaml", line=1)
    assert policy.spec == spec
    assert policy.digest_reflection == ("Always" if strategy == "digest" else "")
    assert not policy.strict_versions  # Argo reads versions loosely, as Masterminds does


def test_semver_constraints_mean_what_masterminds_means_loose_versions_included():
    _, policy = policy_for("nginx", "1.x", UpdateSettings(), source="a.yaml", line=1)
    tags = [TagInfo(t) for t in ("1.2", "1.10.1", "2.0.0", "v1.11")]
    assert make_policy(policy).select(tags).chosen == "v1.11"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (UpdateSettings(strategy="newest"), "update strategy 'newest' is not one of"),
        (UpdateSettings(allow_tags="^v1"), "allow-tags '^v1' must be 'regexp:<expression>' or 'any'"),
    ],
)
def test_bad_settings_are_named(settings, message):
    with pytest.raises(ValueError) as raised:
        policy_for("nginx", "", settings, source="a.yaml", line=1)
    assert message in str(raised.value)


def test_a_bad_image_list_entry_spoils_only_itself():
    annotations = {P + "image-list": "good=nginx, bad=@sha, also=redis", P + "also.update-strategy": "newest"}
    images, errors = images_from_annotations(annotations, source="a.yaml", line=1)
    assert [i.alias for i in images] == ["good"]
    assert len(errors) == 2 and "image-list entry 'also=redis'" in errors[1]


def test_ignore_tags_globs_are_anchored():
    import re

    assert re.match(match_regex("*-rc?"), "1.0-rc1") and not re.match(match_regex("*-rc?"), "1.0-rc12")


@pytest.mark.parametrize(
    "url",
    ["https://git.example.com/acme/env.git", "git@git.example.com:acme/env.git", "ssh://git@git.example.com/acme/env",
     "https://user@GIT.example.com/acme/env/", "https://git.example.com/acme/env"],
)
def test_repository_urls_compare_normalised(url):
    assert normalise_url(url) == "git.example.com/acme/env"


def app(name, labels=None, annotations=None, repo="https://git.example.com/acme/env", path="envs/x"):
    return {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
        "metadata": {"name": name, "namespace": "argocd", "labels": labels or {}, "annotations": annotations or {}},
        "spec": {"source": {"repoURL": repo, "path": path, "kustomize": {}}},
    }


UPDATER = {
    "apiVersion": "argocd-image-updater.argoproj.io/v1alpha1", "kind": "ImageUpdater",
    "metadata": {"name": "u", "namespace": "argocd"},
    "spec": {
        "namespace": "argocd",
        "commonUpdateSettings": {"updateStrategy": "alphabetical"},
        "writeBackConfig": {"method": "git", "gitConfig": {"branch": "main", "writeBackTarget": "kustomization"}},
        "applicationRefs": [
            {"namePattern": "api-*", "labelSelectors": {"matchLabels": {"tier": "backend"}},
             "images": [{"alias": "api", "imageName": "ghcr.io/acme/api:1.x",
                         "commonUpdateSettings": {"updateStrategy": "semver", "ignoreTags": ["*-debug"]},
                         "manifestTargets": {"kustomize": {"name": "api"}}}]},
            {"namePattern": "legacy-*", "useAnnotations": True, "images": [{"alias": "unused", "imageName": "x"}]},
        ],
    },
}


def test_an_image_updater_selects_applications_by_name_pattern_and_labels():
    builder = AppsBuilder(origin="git@git.example.com:acme/env.git")
    for data in (UPDATER, app("api-prod", {"tier": "backend"}), app("api-lab", {"tier": "lab"}), app("web-prod", {"tier": "backend"})):
        builder.add("apps.yaml", data, 1)
    apps, problems = builder.build()
    assert problems == []
    (found,) = apps
    assert (found.name, found.origin, found.write_back.target_kind, found.write_back.branch) == (
        "api-prod", "ImageUpdater argocd/u", "kustomization", "main")
    (image,) = found.images
    assert (image.alias, image.policy.spec, image.kustomize_name, image.policy.exclude) == ("api", "semver:1.x", "api", ("^[^/]*\\-debug$",))


def test_use_annotations_lets_the_application_configure_its_images():
    builder = AppsBuilder()
    builder.add("apps.yaml", UPDATER, 1)
    builder.add("apps.yaml", app("legacy-1", annotations={P + "image-list": "w=ghcr.io/acme/w:^2"}), 9)
    (found,), _ = builder.build()
    assert [(i.alias, i.policy.spec) for i in found.images] == [("w", "semver:^2")]
    assert found.write_back.method == "git"  # the ImageUpdater's write-back config


def test_another_repositorys_application_is_a_notice_not_an_error():
    builder = AppsBuilder(origin="https://git.example.com/acme/env.git")
    builder.add("apps.yaml", app("other", annotations={P + "image-list": "nginx"}, repo="https://git.example.com/acme/charts"), 3)
    apps, (notice,) = builder.build()
    assert apps == [] and notice.severity == "warning"
    assert "deploys from https://git.example.com/acme/charts, not from this repository" in notice.message
