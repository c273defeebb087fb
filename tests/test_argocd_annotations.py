"""Application annotations read as Argo CD Image Updater reads them: Application-wide defaults,
constraints holding ``=``, aliases holding ``/``, and strategy and filter words in any case."""

import pytest

from automator.manifest.argocd.catalog import AppsBuilder
from automator.manifest.argocd.config import UpdateSettings, images_from_annotations, policy_for
from automator.model import TagInfo
from automator.policy import make_policy

P = "argocd-image-updater.argoproj.io/"


def images(annotations: dict[str, str]):
    found, errors = images_from_annotations({P + k: v for k, v in annotations.items()}, source="app.yaml", line=1)
    assert errors == []
    return found


def chosen(image, *tags: str) -> str | None:
    return make_policy(image.policy).select([TagInfo(t) for t in tags], current=None).chosen


def test_application_wide_settings_apply_to_every_image_without_its_own():
    web, api = images({
        "image-list": "web=ghcr.io/acme/web, api=ghcr.io/acme/api",
        "update-strategy": "alphabetical", "allow-tags": "regexp:^v", "ignore-tags": "*-debug", "force-update": "true",
        "api.update-strategy": "semver", "api.allow-tags": "any", "api.ignore-tags": "*-rc*", "api.force-update": "false",
    })
    assert (web.strategy, web.policy.filter, web.policy.exclude, web.force_update) == (
        "alphabetical", "^v", ("^[^/]*\\-debug$",), True)
    assert (api.strategy, api.policy.filter, api.policy.exclude, api.force_update) == (
        "semver", None, ("^[^/]*\\-rc[^/]*$",), False)  # the alias's own annotations win


def test_helm_and_kustomize_names_stay_per_image_beside_application_wide_settings():
    (web,) = images({"image-list": "web=ghcr.io/acme/web", "update-strategy": "alphabetical",
                     "helm.image-tag": "tag", "kustomize.image-name": "x"})
    assert (web.strategy, web.helm_tag, web.kustomize_name) == ("alphabetical", "", "")


def test_an_application_wide_allow_tags_keeps_an_image_on_its_major_version():
    (web,) = images({"image-list": "web=ghcr.io/acme/web", "allow-tags": "regexp:^1\\."})
    assert chosen(web, "1.2.0", "1.9.0", "2.0.0") == "1.9.0"


@pytest.mark.parametrize(
    ("entry", "constraint", "tags", "choice"),
    [
        ("web=ghcr.io/acme/web:>=1.2", ">=1.2", ("1.1.0", "1.2.0", "2.0.0"), "2.0.0"),
        ("web=ghcr.io/acme/web:>=1.2 <2.0", ">=1.2 <2.0", ("1.1.0", "1.2.0", "2.0.0"), "1.2.0"),
        ("web=ghcr.io/acme/web:!=1.5.0", "!=1.5.0", ("1.4.0", "1.5.0"), "1.4.0"),
        ("web=ghcr.io/acme/web:<=2.0.0", "<=2.0.0", ("2.0.0", "2.1.0"), "2.0.0"),
    ],
)
def test_a_constraint_may_hold_equals_signs_the_alias_ends_at_the_first(entry, constraint, tags, choice):
    (web,) = images({"image-list": entry})
    assert (web.alias, web.image, web.constraint) == ("web", "ghcr.io/acme/web", constraint)
    assert chosen(web, *tags) == choice


def test_an_image_updater_image_name_may_hold_a_constraint_with_equals_signs():
    builder = AppsBuilder()
    builder.add("apps.yaml", {
        "apiVersion": "argocd-image-updater.argoproj.io/v1alpha1", "kind": "ImageUpdater", "metadata": {"name": "u"},
        "spec": {"writeBackConfig": {"method": "git"}, "applicationRefs": [
            {"namePattern": "web", "images": [{"alias": "web", "imageName": "ghcr.io/acme/web:>=1.2.0 <2.0.0"}]}]},
    }, 1)
    builder.add("apps.yaml", {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": {"name": "web"},
                              "spec": {"source": {"path": "charts/web", "helm": {}}}}, 20)
    (app,), problems = builder.build()
    assert problems == [] and [(i.image, i.constraint) for i in app.images] == [("ghcr.io/acme/web", ">=1.2.0 <2.0.0")]


def test_an_image_without_alias_whose_constraint_holds_equals_is_told_to_take_an_alias():
    _, (error,) = images_from_annotations({P + "image-list": "ghcr.io/acme/web:>=1.2"}, source="app.yaml", line=1)
    assert "give an image whose constraint holds '=' an alias: web=ghcr.io/acme/web:>=1.2" in error


def test_an_alias_may_hold_a_slash_its_annotations_write_it_as_underscore():
    (web,) = images({"image-list": "acme/web=ghcr.io/acme/web:~1.2", "acme_web.helm.image-tag": "web.tag",
                     "acme_web.update-strategy": "alphabetical"})
    assert (web.alias, web.helm_tag, web.strategy) == ("acme/web", "web.tag", "alphabetical")


@pytest.mark.parametrize(("written", "strategy"), [("Alphabetical", "alphabetical"), ("SEMVER", "semver"),
                                                   ("Newest-Build", "newest-build"), ("Latest", "newest-build")])
def test_strategy_names_are_read_whatever_their_case_an_unknown_one_is_still_an_error(written, strategy):
    assert policy_for("nginx", "", UpdateSettings(strategy=written), source="a.yaml", line=1)[0] == strategy
    with pytest.raises(ValueError, match=f"update strategy '{written}x' is not one of"):
        policy_for("nginx", "", UpdateSettings(strategy=written + "x"), source="a.yaml", line=1)


@pytest.mark.parametrize(("written", "regex"), [("ANY", None), ("Any", None), ("RegExp:^v1", "^v1"), ("REGEXP:^v", "^v")])
def test_allow_tags_words_are_read_whatever_their_case(written, regex):
    _, spec = policy_for("nginx", "", UpdateSettings(allow_tags=written), source="a.yaml", line=1)
    assert spec.filter == regex
