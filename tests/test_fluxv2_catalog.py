"""ImagePolicy + ImageRepository objects -> the catalog of policies markers can name."""

import pytest

from automator.manifest.fluxv2.tree import catalog_of
from automator.model import PolicySpec

REPOSITORY = """\
apiVersion: image.toolkit.fluxcd.io/{api}
kind: ImageRepository
metadata:
  name: app
  namespace: flux-system
spec:
  image: {image}
"""

POLICY = """\
apiVersion: image.toolkit.fluxcd.io/{api}
kind: ImagePolicy
metadata:
  name: app
  namespace: flux-system
spec:
  imageRepositoryRef:
    name: app
{spec}"""


def catalog(policy_spec, *, api="v1beta2", image="ghcr.io/acme/app"):
    text = REPOSITORY.format(api=api, image=image) + "---\n" + POLICY.format(api=api, spec=policy_spec)
    return catalog_of([("flux/app.yaml", text)])


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("  policy:\n    semver:\n      range: 5.0.x\n", PolicySpec("semver:5.0.x")),
        ("  policy:\n    semver:\n      range: '>=1.0.0 <2.0.0'\n", PolicySpec("semver:>=1.0.0 <2.0.0")),
        ("  policy:\n    alphabetical:\n      order: desc\n", PolicySpec("alphabetical:desc")),
        ("  policy:\n    alphabetical: {}\n", PolicySpec("alphabetical:asc")),
        ("  policy:\n    numerical:\n      order: asc\n", PolicySpec("numerical:asc")),
        (
            "  filterTags:\n    pattern: '^main-[a-f0-9]+-(?P<ts>[0-9]+)'\n    extract: '$ts'\n"
            "  policy:\n    numerical:\n      order: asc\n",
            PolicySpec("numerical:asc", filter="^main-[a-f0-9]+-(?P<ts>[0-9]+)", extract="$ts"),
        ),
        ("  filterTags:\n    pattern: '^v1'\n  policy:\n    semver:\n      range: '*'\n", PolicySpec("semver:*", filter="^v1")),
    ],
)
def test_policies_translate_to_policy_specs(spec, expected):
    found = catalog(spec).get("flux-system:app")
    assert found is not None
    assert (found.spec.spec, found.spec.filter, found.spec.extract) == (expected.spec, expected.filter, expected.extract)
    assert (found.spec.source, found.spec.line) == ("flux/app.yaml", 8)


@pytest.mark.parametrize("api", ["v1beta1", "v1beta2", "v1"])
def test_every_image_api_version_is_read(api):
    assert catalog("  policy:\n    semver:\n      range: 1.x\n", api=api).get("flux-system:app") is not None


@pytest.mark.parametrize(
    ("image", "repository"),
    [("nginx", "docker.io/library/nginx"), ("index.docker.io/acme/app", "docker.io/acme/app"), ("ghcr.io/acme/app", "ghcr.io/acme/app")],
)
def test_repositories_are_normalised_and_keep_their_spelling(image, repository):
    found = catalog("  policy:\n    semver:\n      range: 1.x\n", image=image).get("flux-system:app")
    assert (found.repository, found.image_name) == (repository, image)


def test_namespaces_default_as_flux_applies_them():
    text = """\
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: {name: shared, namespace: images}
spec: {image: ghcr.io/acme/shared}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: {name: local}
spec: {image: ghcr.io/acme/local}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {name: cross, namespace: apps}
spec:
  imageRepositoryRef: {name: shared, namespace: images}
  policy: {semver: {range: 1.x}}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {name: plain}
spec:
  imageRepositoryRef: {name: local}
  policy: {semver: {range: 1.x}}
"""
    found = catalog_of([("flux/images.yaml", text)])
    assert found.get("apps:cross").repository == "ghcr.io/acme/shared"
    assert found.get("default:plain").repository == "ghcr.io/acme/local"
    assert found.problems == ()


def test_objects_in_different_files_find_each_other():
    repository = REPOSITORY.format(api="v1", image="ghcr.io/acme/app")
    policy = POLICY.format(api="v1", spec="  policy:\n    semver:\n      range: 1.x\n")
    found = catalog_of([("a/policy.yaml", policy), ("b/repo.yaml", repository)])
    assert found.get("flux-system:app").repository == "ghcr.io/acme/app"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("  policy:\n    semver: {}\n", "spec.policy.semver.range is missing"),
        ("  policy:\n    alphabetical:\n      order: up\n", "order must be asc or desc"),
        ("  policy:\n    latest: {}\n", "unknown policy kind spec.policy.latest"),
        ("  filterTags:\n    pattern: 3\n  policy:\n    semver:\n      range: 1.x\n", None),
        ("", "spec.policy must hold exactly one"),
    ],
)
def test_a_bad_policy_is_a_problem_naming_file_and_object(spec, message):
    found = catalog(spec)
    if message is None:  # numbers read as strings by the composer: a pattern of "3" is fine
        assert found.get("flux-system:app") is not None
        return
    assert found.get("flux-system:app") is None
    assert "flux-system:app" in found.broken
    (problem,) = found.problems
    assert problem.file == "flux/app.yaml" and problem.severity == "error"
    assert "ImagePolicy flux-system:app" in problem.message and message in problem.message


def test_a_bad_object_never_stops_the_others():
    text = """\
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: {name: broken, namespace: flux-system}
spec: {image: "Not An Image"}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {name: broken, namespace: flux-system}
spec:
  imageRepositoryRef: {name: broken}
  policy: {semver: {range: 1.x}}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {name: orphan, namespace: flux-system}
spec:
  imageRepositoryRef: {name: missing}
  policy: {semver: {range: 1.x}}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {namespace: flux-system}
spec: {}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: [not, a, mapping
---
""" + REPOSITORY.format(api="v1", image="ghcr.io/acme/app") + "---\n" + POLICY.format(
        api="v1", spec="  policy:\n    semver:\n      range: 1.x\n"
    )
    found = catalog_of([("flux/all.yaml", text)])
    assert list(found.policies) == ["flux-system:app"]
    messages = "\n".join(p.message for p in found.problems)
    assert "ImageRepository flux-system:broken in flux/all.yaml: spec.image" in messages
    assert "ImagePolicy flux-system:broken in flux/all.yaml: its ImageRepository flux-system:broken is unusable" in messages
    assert "ImagePolicy flux-system:orphan in flux/all.yaml: its ImageRepository flux-system:missing is not in the scanned tree" in messages
    assert "ImagePolicy in flux/all.yaml: metadata.name is missing" in messages
    assert "flux/all.yaml:24: cannot read this Flux image object: YAML does not parse" in messages
    assert all(p.file == "flux/all.yaml" for p in found.problems)


def test_other_objects_and_other_api_groups_are_ignored():
    text = "apiVersion: example.com/v1\nkind: ImagePolicy\nmetadata: {name: x}\n---\nkind: ConfigMap\ndata: {a: ImageRepository}\n"
    found = catalog_of([("x.yaml", text)])
    assert len(found) == 0 and found.problems == ()


def test_an_object_defined_twice_is_a_warning_and_the_last_one_counts():
    first = POLICY.format(api="v1", spec="  policy:\n    semver:\n      range: 1.x\n")
    second = POLICY.format(api="v1", spec="  policy:\n    semver:\n      range: 2.x\n")
    repository = REPOSITORY.format(api="v1", image="ghcr.io/acme/app")
    found = catalog_of([("a.yaml", first), ("b.yaml", second + "---\n" + repository)])
    assert found.get("flux-system:app").spec.spec == "semver:2.x"
    (problem,) = found.problems
    assert problem.severity == "warning" and "defined in a.yaml and again in b.yaml" in problem.message


def test_with_one_policy_name_per_cluster_a_marker_uses_the_nearest_definition():
    def cluster(range_, image):
        return REPOSITORY.format(api="v1", image=image) + "---\n" + POLICY.format(
            api="v1", spec=f"  policy:\n    semver:\n      range: {range_}\n"
        )

    found = catalog_of(
        [
            ("clusters/staging/flux-system/images.yaml", cluster("'>=0.0.0-0'", "ghcr.io/acme/app-dev")),
            ("clusters/production/flux-system/images.yaml", cluster("1.x", "ghcr.io/acme/app")),
        ]
    )
    staging = found.get("flux-system:app", near="clusters/staging/apps/deploy.yaml")
    production = found.get("flux-system:app", near="clusters/production/apps/deploy.yaml")
    assert (staging.spec.spec, staging.repository) == ("semver:>=0.0.0-0", "ghcr.io/acme/app-dev")
    assert (production.spec.spec, production.repository) == ("semver:1.x", "ghcr.io/acme/app")
    assert found.problems == ()
