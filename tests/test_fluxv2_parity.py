"""Flux v2 parity: digest reflection, markers on any key, per-field failures, exclusion lists,
signing artefacts and Flux's strict reading of versions, each as Flux itself behaves."""

import pytest

from automator.manifest.fluxv2.locate import bind_catalog
from automator.manifest.fluxv2.tree import catalog_of
from automator.manifest.locate import locate_text
from automator.manifest.locators import LOCATORS
from automator.model import PolicySpec, TagInfo
from automator.policy import make_policy
from automator.policy.exclusion import is_signing_artefact
from automator.policy.fluxsemver import is_strict_version

HEX = "0123456789abcdef" * 4


def policies(repository_spec="", policy_spec=""):
    return f"""\
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: {{name: app, namespace: flux-system}}
spec:
  image: ghcr.io/acme/app
{repository_spec}---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {{name: app, namespace: flux-system}}
spec:
  imageRepositoryRef: {{name: app}}
  policy: {{semver: {{range: ">=1.0.0"}}}}
{policy_spec}"""


def catalog(repository_spec="", policy_spec=""):
    return catalog_of([("flux/policies.yaml", policies(repository_spec, policy_spec))])


def locate(text, file="apps/deploy.yaml", **specs):
    return locate_text(file, text, bind_catalog(LOCATORS, catalog(**specs)))


def test_an_image_policy_carries_its_repository_exclusions_and_reads_versions_strictly():
    policy = catalog().get("flux-system:app")
    assert policy.spec.exclude == ("^.*\\.sig$",)  # Flux's default exclusionList
    assert policy.spec.strict_versions and policy.spec.digest_reflection == ""
    listed = catalog('  exclusionList: ["^.*-debug$", "^rc"]\n').get("flux-system:app")
    assert listed.spec.exclude == ("^.*-debug$", "^rc")
    assert catalog("  exclusionList: []\n").get("flux-system:app").spec.exclude == ()


@pytest.mark.parametrize("value", ["Always", "IfNotPresent", "Never"])
def test_digest_reflection_policy_is_read_from_the_image_policy(value):
    found = catalog(policy_spec=f"  digestReflectionPolicy: {value}\n").get("flux-system:app")
    assert found.spec.digest_reflection == value
    assert found.reflects_digest == (value != "Never")


def test_a_bad_digest_reflection_policy_or_exclusion_list_is_named_with_its_object():
    bad = catalog(policy_spec="  digestReflectionPolicy: Sometimes\n")
    assert bad.get("flux-system:app") is None
    assert "digestReflectionPolicy must be Always, IfNotPresent or Never, not 'Sometimes'" in bad.broken["flux-system:app"]
    broken = catalog('  exclusionList: ["(unclosed"]\n')
    (problem,) = [p for p in broken.problems if "exclusionList" in p.message]
    assert "ImageRepository flux-system:app" in problem.message and "'(unclosed' is not a regular expression" in problem.message


def test_a_whole_reference_marker_drops_a_written_digest_unless_the_policy_reflects_digests():
    text = f'image: ghcr.io/acme/app:1.0.0@sha256:{HEX} # {{"$imagepolicy": "flux-system:app"}}\n'
    (never,) = locate(text).uses
    assert never.image.digest is None and never.current == f"ghcr.io/acme/app:1.0.0@sha256:{HEX}"
    (always,) = locate(text, policy_spec="  digestReflectionPolicy: Always\n").uses
    assert always.image.digest == f"sha256:{HEX}"


@pytest.mark.parametrize("key", ["newDigest", "imageDigest", "digest"])
def test_a_digest_marker_applies_to_whatever_key_carries_it(key):
    text = f'images:\n- name: app\n  newTag: 1.0.0 # {{"$imagepolicy": "flux-system:app:tag"}}\n  {key}: sha256:{HEX} # {{"$imagepolicy": "flux-system:app:digest"}}\n'
    tag, digest = locate(text, "kustomization.yaml").uses
    assert (digest.field, digest.current, digest.image.tag) == ("digest", f"sha256:{HEX}", "1.0.0")
    if key != "imageDigest":  # digest and newDigest are the entry's digest, read with the tag
        assert tag.image.digest == f"sha256:{HEX}"


def test_tag_and_name_markers_apply_to_any_key_outside_kustomizations():
    text = 'app:\n  version: 1.0.0 # {"$imagepolicy": "flux-system:app:tag"}\n  repo: x # {"$imagepolicy": "flux-system:app:name"}\n'
    tag, name = locate(text, "values.yaml").uses
    assert (tag.field, tag.container, name.field, name.container) == ("tag", "app.version", "name", "app.repo")


@pytest.mark.parametrize("bad", ["sha256:REPLACE_WITH_IMMUTABLE_DIGEST", "sha256:abc", "latest"])
def test_a_bad_digest_fails_only_its_own_field_on_its_own_line(bad):
    text = (
        "images:\n- name: app\n"
        '  newName: ghcr.io/acme/app # {"$imagepolicy": "flux-system:app:name"}\n'
        '  newTag: 1.0.0 # {"$imagepolicy": "flux-system:app:tag"}\n'
        f'  newDigest: {bad} # {{"$imagepolicy": "flux-system:app:digest"}}\n'
    )
    found = locate(text, "kustomization.yaml")
    assert [(u.field, u.line) for u in found.uses] == [("name", 3), ("tag", 4)]
    (problem,) = found.problems
    assert problem.line == 5 and problem.message.startswith("kustomization.yaml:5: ") and "is not an image digest" in problem.message


@pytest.mark.parametrize(
    ("tag", "flux"),
    [
        ("1.2.3", True), ("v1.2.3", True), ("1.2.3-rc.1+build.5", True), ("0.0.0", True),
        ("1.2", False), ("v1", False), ("01.2.3", False), ("20240501", False),
        ("1.2.3-rc.01", False), ("V1.2.3", False), ("1.2.3.4", False), ("vv1.2.3", False),
    ],
)
def test_flux_reads_only_whole_semantic_versions(tag, flux):
    assert is_strict_version(tag) is flux


def test_an_image_policy_semver_range_skips_tags_flux_does_not_read_as_versions():
    tags = [TagInfo(t) for t in ("1.5.0", "20240501", "v2", "1.7")]
    strict = make_policy(PolicySpec("semver:>=1.0.0", strict_versions=True)).select(tags)
    loose = make_policy(PolicySpec("semver:>=1.0.0")).select(tags)
    assert (strict.chosen, loose.chosen) == ("1.5.0", "20240501")
    assert ("20240501", "not a version as Flux reads it (X.Y.Z, optional v)") in strict.excluded


@pytest.mark.parametrize(
    ("tag", "artefact"),
    [
        (f"sha256-{HEX}.sig", True), (f"sha256-{HEX}.att", True), (f"sha256-{HEX}.sbom", True), (f"sha256-{HEX}", True),
        (f"sha256-{HEX[:-1]}.sig", False), (f"sha256-{HEX}.tar", False), ("v1.sig", False), (f"sha256-{HEX.upper()}", False),
    ],
)
def test_signing_artefacts_are_recognised_by_cosigns_tag_shapes(tag, artefact):
    assert is_signing_artefact(tag) is artefact


@pytest.mark.parametrize("spec", ["alphabetical:asc", "glob:*", "regex:.*", "numerical:asc"])
def test_no_policy_of_any_dialect_offers_a_signing_artefact(spec):
    tags = [TagInfo("1"), TagInfo(f"sha256-{HEX}.sig"), TagInfo(f"sha256-{'f' * 64}")]
    selection = make_policy(PolicySpec(spec)).select(tags)
    assert selection.chosen == "1"
    assert (f"sha256-{HEX}.sig", "a signing artefact, not an image") in selection.excluded


def test_an_exclusion_list_removes_candidates_and_says_which_pattern_did():
    tags = [TagInfo(t) for t in ("1.0.0", "1.1.0-debug", "1.0.1")]
    selection = make_policy(PolicySpec("semver:>=1.0.0-0", exclude=("-debug$",))).select(tags, current="1.0.0")
    assert selection.chosen == "1.0.1"
    assert ("1.1.0-debug", "excluded by '-debug$'") in selection.excluded
