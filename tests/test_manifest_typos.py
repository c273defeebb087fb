"""Typos in annotations and markers are warnings with file:line and the closest valid name;
``strict`` makes exactly those errors."""

from __future__ import annotations

import pytest

from automator.manifest.fluxv2.locate import bind_catalog
from automator.manifest.fluxv2.tree import catalog_of
from automator.manifest.locators import LOCATORS, locate_text, resolve
from automator.manifest.typos import STRICT_CODES, did_you_mean, strict
from automator.model import Problem

WORKLOAD = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: podinfo
  annotations:
{annotations}
spec:
  template:
    spec:
      containers:
      - name: podinfo
        image: ghcr.io/stefanprodan/podinfo:6.5.0
      - name: app
        image: acme/app:1.0.0
"""


def located(annotations: str):
    text = WORKLOAD.format(annotations=annotations)
    return text, locate_text("apps/podinfo.yaml", text)


@pytest.mark.parametrize("key", ["fluxcd.io/tag.podnifo", "flux.weave.works/tag.podnifo", "filter.fluxcd.io/podnifo"])
def test_a_flux_v1_policy_naming_no_container_is_a_warning_with_the_closest_name(key: str) -> None:
    text, found = located(f'    fluxcd.io/automated: "true"\n    {key}: semver:~6.5')
    (problem,) = found.problems
    assert (problem.severity, problem.code, problem.line) == ("warning", "typo", 7)
    assert problem.message.startswith(f"apps/podinfo.yaml:7: annotation {key} names no container of Deployment/podinfo")
    assert "(did you mean `podinfo`?)" in problem.message and "use glob:*" in problem.message
    assert {u.container: u.policy.spec for u in found.uses} == {"podinfo": "glob:*", "app": "glob:*"}


def test_an_unknown_native_key_is_a_warning_with_the_closest_key() -> None:
    _, found = located("    automator.dev/polcy: semver:~6.5")
    (problem,) = found.problems
    assert (problem.severity, problem.code) == ("warning", "unknown-key")
    assert "unknown annotation automator.dev/polcy (did you mean `automator.dev/policy`?)" in problem.message
    assert found.uses == ()


def test_a_native_policy_naming_no_container_is_a_warning() -> None:
    _, found = located("    automator.dev/policy.ap: semver:^1")
    (problem,) = found.problems
    assert problem.code == "typo" and "automator.dev/policy.ap names no container" in problem.message
    assert "(did you mean `app`?)" in problem.message


@pytest.mark.parametrize("kind", ["serving.knative.dev/v1 Service", "v1 PodTemplate"])
def test_a_native_policy_on_a_kind_without_a_known_pod_spec_is_a_warning_saying_how_to_point_at_the_image(kind: str) -> None:
    api, name = kind.split()
    text = WORKLOAD.replace("apps/v1", api).replace("Deployment", name).format(annotations="    automator.dev/policy: semver:^6")
    found = locate_text("apps/podinfo.yaml", text)
    assert found.uses == ()
    (problem,) = found.problems
    assert problem.severity == "warning" and problem.code in STRICT_CODES  # validate and --strict make it an error
    assert problem.line == 6
    assert f"the tool knows no pod spec in a {name}" in problem.message
    assert "automator.dev/image.<container>: <path>" in problem.message


def test_a_name_far_from_every_container_gets_no_suggestion() -> None:
    _, found = located('    fluxcd.io/automated: "true"\n    fluxcd.io/tag.zzzzzz: semver:~6.5')
    assert "did you mean" not in found.problems[0].message


def test_valid_annotations_give_no_warning() -> None:
    _, found = located(
        '    automator.dev/policy: semver:^1\n    automator.dev/policy.podinfo: semver:~6.5\n'
        '    automator.dev/skip.app: "true"\n    automator.dev/hold: "true"\n    automator.dev/follow.app: staging\n'
        "    automator.dev/image.extra: spec.template.spec.containers.1.image"
    )
    assert found.problems == ()


POLICIES = """\
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImagePolicy
metadata: {name: podinfo, namespace: flux-system}
spec: {imageRepositoryRef: {name: podinfo}, policy: {semver: {range: 6.x}}}
---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImageRepository
metadata: {name: podinfo, namespace: flux-system}
spec: {image: ghcr.io/stefanprodan/podinfo}
"""


def test_a_marker_naming_no_image_policy_suggests_the_closest_one() -> None:
    text = 'image: ghcr.io/stefanprodan/podinfo:6.5.0 # {"$imagepolicy": "flux-system:podnifo"}\n'
    locators = bind_catalog(LOCATORS, catalog_of([("flux/policies.yaml", POLICIES)]))
    _, problems = resolve([locate_text("apps/values.yaml", text, locators)], locators)
    (problem,) = problems
    assert (problem.severity, problem.code, problem.line) == ("warning", "unresolved-marker", 1)
    assert "(did you mean `flux-system:podinfo`?)" in problem.message


def test_strict_promotes_exactly_the_typo_warnings() -> None:
    problems = [
        Problem("typo", severity="warning", code="typo"),
        Problem("unknown key", severity="warning", code="unknown-key"),
        Problem("marker", severity="warning", code="unresolved-marker"),
        Problem("a slow registry", severity="warning"),
        Problem("a broken file", severity="error"),
    ]
    assert [p.severity for p in strict(problems)] == ["error", "error", "error", "warning", "error"]
    assert STRICT_CODES == {"typo", "unknown-key", "unresolved-marker"}


def test_did_you_mean_is_empty_without_a_close_candidate() -> None:
    assert did_you_mean("podnifo", ["podinfo", "redis"]) == " (did you mean `podinfo`?)"
    assert did_you_mean("x", []) == ""
