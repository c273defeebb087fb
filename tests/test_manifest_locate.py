"""Locating automated image fields: which fields, which policy, which exact span."""

from __future__ import annotations

from pathlib import Path

import pytest

from automator.errors import ManifestError
from automator.manifest import yamldoc
from automator.manifest.locators import locate_text
from automator.model import PolicySpec

GOLDEN = Path(__file__).parent / "golden"


def deployment(annotations: str, containers: str, kind: str = "Deployment") -> str:
    return f"""apiVersion: apps/v1
kind: {kind}
metadata:
  name: web
  annotations:
{annotations}
spec:
  template:
    spec:
      containers:
{containers}
"""


APP = "      - name: app\n        image: acme/app:1.0.0\n"


def found(text: str) -> list[tuple[str, str, str]]:
    located = locate_text("f.yaml", text)
    return [(u.container, text[u.span.start : u.span.end], u.policy.spec) for u in located.uses]


@pytest.mark.parametrize(
    ("annotations", "expected"),
    [
        ('    fluxcd.io/automated: "true"', [("app", "acme/app:1.0.0", "glob:*")]),
        ('    fluxcd.io/automated: "true"\n    fluxcd.io/tag.app: semver:~1', [("app", "acme/app:1.0.0", "semver:~1")]),
        ('    fluxcd.io/automated: "true"\n    fluxcd.io/tag.app: regex:^v', [("app", "acme/app:1.0.0", "regex:^v")]),
        ('    fluxcd.io/automated: "true"\n    fluxcd.io/tag.app: "1.*"', [("app", "acme/app:1.0.0", "glob:1.*")]),
        ('    flux.weave.works/automated: "true"\n    flux.weave.works/tag.app: glob:1.*', [("app", "acme/app:1.0.0", "glob:1.*")]),
        ('    fluxcd.io/automated: "false"', []),
        ('    fluxcd.io/tag.app: semver:~1', []),
        ('    fluxcd.io/automated: "true"\n    fluxcd.io/locked: "true"', []),
        ("    automator.dev/policy: semver:^1", [("app", "acme/app:1.0.0", "semver:^1")]),
        ("    automator.dev/policy.other: semver:^1", []),
        ('    automator.dev/policy: semver:^1\n    automator.dev/skip.app: "true"', []),
    ],
)
def test_annotations_decide_automation_and_policy(annotations: str, expected: list) -> None:
    assert found(deployment(annotations, APP)) == expected


def test_native_filter_and_extract_reach_the_policy_spec() -> None:
    text = deployment(
        "    automator.dev/policy: numerical:asc\n    automator.dev/filter.app: ^main-(?P<n>[0-9]+)\n    automator.dev/extract: $n",
        APP,
    )
    (use,) = locate_text("f.yaml", text).uses
    assert use.policy == PolicySpec("numerical:asc", filter="^main-(?P<n>[0-9]+)", extract="$n", source="f.yaml", line=6)


def test_init_containers_come_first_and_every_container_is_found() -> None:
    text = deployment('    fluxcd.io/automated: "true"', APP).replace(
        "      containers:", "      initContainers:\n      - name: init\n        image: busybox\n      containers:"
    )
    assert [c for c, _, _ in found(text)] == ["init", "app"]


@pytest.mark.parametrize(("quoted", "quote"), [("acme/app:1.0.0", ""), ("'acme/app:1.0.0'", "'"), ('"acme/app:1.0.0"', '"')])
def test_span_excludes_quotes_and_records_the_quote(quoted: str, quote: str) -> None:
    text = deployment('    fluxcd.io/automated: "true"', f"      - name: app\n        image: {quoted}  # c\n")
    (use,) = locate_text("f.yaml", text).uses
    assert (text[use.span.start : use.span.end], use.quote, use.line) == ("acme/app:1.0.0", quote, 12)


def test_a_workload_inside_a_list_is_found() -> None:
    text = "kind: List\nitems:\n- " + deployment('    fluxcd.io/automated: "true"', APP).replace("\n", "\n  ").rstrip() + "\n"
    assert found(text) == [("app", "acme/app:1.0.0", "glob:*")]


@pytest.mark.parametrize(
    ("image", "message"),
    [
        ('"acme/app:1.0\\u0030"', "escapes"),
        ("|\n          acme/app:1.0.0", "block scalars"),
        ("acme/app@sha256:" + "a" * 64, "pinned by digest only"),
        ("Acme/App:1", "must be lowercase"),
    ],
)
def test_values_that_cannot_be_patched_safely_are_problems(image: str, message: str) -> None:
    text = deployment('    fluxcd.io/automated: "true"', f"      - name: app\n        image: {image}\n")
    located = locate_text("f.yaml", text)
    assert located.uses == ()
    assert message in located.problems[0].message and located.problems[0].file == "f.yaml"


def test_unparsable_document_is_an_error_only_with_automation() -> None:
    assert locate_text("t.yaml", "name: {{ .Release.Name }}\nimage: x\n").problems == ()
    broken = locate_text("t.yaml", 'metadata: {annotations: {fluxcd.io/automated: "true"}\nspec: [\n')
    assert "does not parse" in broken.problems[0].message and broken.problems[0].severity == "error"


def test_automated_kind_without_containers_is_a_warning() -> None:
    text = 'kind: Service\nmetadata:\n  annotations:\n    fluxcd.io/automated: "true"\n'
    (problem,) = locate_text("s.yaml", text).problems
    assert problem.severity == "warning" and "Service" in problem.message


HELM = """apiVersion: {api}
kind: HelmRelease
metadata:
  name: rel
  annotations:
    fluxcd.io/automated: "true"
{extra}spec:
  values:
{values}"""


@pytest.mark.parametrize(
    ("values", "extra", "expected"),
    [
        ("    image: repo/app:1.0\n", "", [("chart-image", "image", "repo/app:1.0")]),
        ("    image: repo/app\n    tag: '1.0'\n", "", [("chart-image", "tag", "1.0")]),
        ("    web:\n      image: repo/app:1.0\n", "", [("web", "image", "repo/app:1.0")]),
        ("    web:\n      image: repo/app\n      tag: 1.0\n", "", [("web", "tag", "1.0")]),
        ("    web:\n      image:\n        repository: repo/app\n        tag: v1\n", "", [("web", "tag", "v1")]),
        ("    web:\n      registry: quay.io\n      image: repo/app\n      tag: v1\n", "", [("web", "tag", "v1")]),
        (
            "    a:\n      b: repo/app\n      c: v1\n",
            "    repository.fluxcd.io/x: a.b\n    tag.fluxcd.io/x: a.c\n",
            [("x", "tag", "v1")],
        ),
        ("    replicas: 2\n", "", []),
    ],
)
@pytest.mark.parametrize("api", ["helm.fluxcd.io/v1", "helm.toolkit.fluxcd.io/v2"])
def test_helm_release_value_formats(values: str, extra: str, expected: list, api: str) -> None:
    text = HELM.format(api=api, values=values, extra=extra)
    located = locate_text("h.yaml", text)
    assert [(u.container, u.field, text[u.span.start : u.span.end]) for u in located.uses] == expected


def test_helm_registry_key_prefixes_the_repository() -> None:
    text = HELM.format(api="helm.fluxcd.io/v1", extra="", values="    web:\n      registry: quay.io\n      image: repo/app\n      tag: v1\n")
    (use,) = locate_text("h.yaml", text).uses
    assert use.image.repository == "quay.io/repo/app"


def test_a_mapped_path_that_does_not_exist_is_a_problem_naming_it() -> None:
    text = HELM.format(api="helm.fluxcd.io/v1", extra="    repository.fluxcd.io/x: nope.repo\n", values="    a: 1\n")
    (problem,) = locate_text("h.yaml", text).problems
    assert "'nope.repo' does not exist" in problem.message


@pytest.mark.parametrize("case", sorted(p.name for p in GOLDEN.iterdir()))
def test_libyaml_and_ruamel_backends_locate_the_same_fields(case: str, monkeypatch) -> None:
    for path in sorted((GOLDEN / case / "input").rglob("*")):
        if not path.is_file():
            continue
        try:
            text = path.read_bytes().decode()
        except UnicodeDecodeError:  # the utf16 case: such files are refused before parsing
            continue
        fast = locate_text(path.name, text)
        monkeypatch.setattr(yamldoc, "FAST", False)
        slow = locate_text(path.name, text)
        monkeypatch.setattr(yamldoc, "FAST", True)
        assert fast.uses == slow.uses
        assert [p.severity for p in fast.problems] == [p.severity for p in slow.problems]


SHARED_IMAGE_LIST = """apiVersion: v1
kind: List
items:
- kind: Deployment
  metadata:
    name: first
    annotations:
{first}
  spec:
    template:
      spec:
        containers:
        - name: a
          image: &img nginx:1.0.0
- kind: Deployment
  metadata:
    name: second
    annotations:
{second}
  spec:
    template:
      spec:
        containers:
        - name: b
          image: *img
"""
AUTOMATED = '      fluxcd.io/automated: "true"'
LOCKED = '      fluxcd.io/automated: "true"\n      fluxcd.io/locked: "true"'
NOT_AUTOMATED = "      team: web"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (LOCKED, AUTOMATED),
        (AUTOMATED, LOCKED),
        (NOT_AUTOMATED, AUTOMATED),
        (AUTOMATED, '      fluxcd.io/automated: "true"\n      fluxcd.io/tag.b: semver:~2'),
    ],
    ids=["first-locked", "second-locked", "first-not-automated", "different-policies"],
)
def test_an_aliased_image_shared_with_a_place_not_automated_alike_is_left_alone(first: str, second: str) -> None:
    text = SHARED_IMAGE_LIST.format(first=first, second=second)
    located = locate_text("f.yaml", text)
    assert located.uses == ()
    anchor_line = text.count("\n", 0, text.index("&img")) + 1
    assert [(p.severity, p.line) for p in located.problems] == [("error", anchor_line)]
    assert "used in 2 places (items[0].spec.template.spec.containers[0].image, items[1].spec.template.spec.containers[0].image)" in located.problems[0].message


def test_an_aliased_image_automated_alike_everywhere_is_one_quiet_use() -> None:
    text = SHARED_IMAGE_LIST.format(
        first=f"{AUTOMATED}\n      fluxcd.io/tag.a: semver:~1", second=f"{AUTOMATED}\n      fluxcd.io/tag.b: semver:~1"
    )
    located = locate_text("f.yaml", text)
    assert [text[u.span.start : u.span.end] for u in located.uses] == ["nginx:1.0.0"]
    assert located.problems == ()


@pytest.mark.parametrize(
    ("values", "extra"),
    [
        ("    web:\n      registry: quay.io\n      image: repo/app:v1\n", ""),
        ("    web:\n      image:\n        registry: quay.io\n        repository: repo/app:v1\n", ""),
        (
            "    a:\n      r: quay.io\n      b: repo/app:v1\n",
            "    registry.fluxcd.io/web: a.r\n    repository.fluxcd.io/web: a.b\n",
        ),
    ],
    ids=["registry-key", "image-registry-key", "mapped-registry-and-repository"],
)
def test_a_registry_key_beside_a_tagged_image_moves_the_tag_inside_the_image_value(values: str, extra: str) -> None:
    """Flux v1 writes ``repo:newtag`` back into the image value and leaves the registry key alone."""
    text = HELM.format(api="helm.fluxcd.io/v1", extra=extra, values=values)
    located = locate_text("h.yaml", text)
    assert located.problems == ()
    (use,) = located.uses
    assert (use.container, use.field, text[use.span.start : use.span.end]) == ("web", "image", "repo/app:v1")
    assert (use.image.repository, use.image.tag, use.image.with_tag("v2")) == ("quay.io/repo/app", "v1", "repo/app:v2")


RECURSIVE = [
    'metadata: &m\n  annotations: {fluxcd.io/automated: "true"}\n  <<: *m\n',
    'metadata:\n  annotations: &a {fluxcd.io/automated: "true", <<: *a}\n',
    'metadata:\n  annotations: {fluxcd.io/automated: "true"}\nextra: &e [1, *e]\n',
    'metadata:\n  annotations: {fluxcd.io/automated: "true"}\nextra: &e {self: *e}\n',
]


@pytest.mark.parametrize("head", RECURSIVE, ids=["merge-self", "merge-own-annotations", "list-in-itself", "map-in-itself"])
def test_a_document_whose_alias_contains_itself_is_an_error_and_the_next_one_is_still_read(head: str) -> None:
    pod = "kind: Pod\n{head}spec:\n  containers:\n  - name: a\n    image: nginx:1.0.0\n"
    text = pod.format(head=head) + "---\n" + pod.format(head='metadata:\n  annotations: {fluxcd.io/automated: "true"}\n')
    located = locate_text("f.yaml", text)
    assert [u.line for u in located.uses] == [text.count("\n")]  # the image on the last line
    (problem,) = located.problems
    assert (problem.severity, problem.line) == ("error", 1)
    assert "contains itself" in problem.message


def test_a_document_that_expands_aliases_beyond_reason_is_an_error() -> None:
    levels = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]\n']
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 9)]
    chunk = yamldoc.split_documents("".join(levels))[0]
    with pytest.raises(ManifestError, match="aliases"):
        yamldoc.compose(chunk)


def test_manifest_problem_of_an_unpatchable_value_names_its_place_once_and_the_container() -> None:
    text = deployment('    fluxcd.io/automated: "true"', "      - name: app\n        image: >-\n          acme/app:1.0.0\n")
    (problem,) = locate_text("f.yaml", text).problems
    assert problem.message.count("f.yaml:") == 1
    assert problem.message.startswith(f"f.yaml:{problem.line}: container 'app': image values in block scalars")
    assert "write the value on one line" in problem.message


@pytest.mark.parametrize(
    ("annotations", "policy"),
    [
        ('    fluxcd.io/automated: "true"\n    filter.fluxcd.io/app: semver:~1.0', "semver:~1.0"),
        ('    fluxcd.io/automated: "true"\n    filter.fluxcd.io/app: "1.*"', "glob:1.*"),
        # Flux v1 looks at fluxcd.io/tag. and flux.weave.works/tag. before filter.fluxcd.io/
        ('    fluxcd.io/automated: "true"\n    filter.fluxcd.io/app: semver:~2\n    fluxcd.io/tag.app: semver:~1', "semver:~1"),
    ],
)
def test_manifest_flux_v1_filter_annotation_is_the_tag_policy(annotations: str, policy: str) -> None:
    assert found(deployment(annotations, APP)) == [("app", "acme/app:1.0.0", policy)]


def test_manifest_flux_v1_filter_annotation_governs_a_helm_release_chart_image() -> None:
    text = HELM.format(api="helm.fluxcd.io/v1", extra="    filter.fluxcd.io/chart-image: semver:~4.0\n", values="    image: repo/app:4.0.1\n")
    (use,) = locate_text("h.yaml", text).uses
    assert (use.container, use.policy.spec, use.policy.line) == ("chart-image", "semver:~4.0", 7)
