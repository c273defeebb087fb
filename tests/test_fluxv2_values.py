"""Marked values that Flux reads in a particular way: nulls, digests beside tags, tagged images."""

from pathlib import Path

from automator.run import apply_plan, make_plan
from automator.tagfile import FileTagSource
from automator.validate import validate

DIGEST_OF = {"1.0.0": "sha256:" + "a" * 64, "1.2.0": "sha256:" + "b" * 64}
TAGS = "ghcr.io/acme/app:\n" + "".join(f'  - {{tag: "{tag}", digest: "{digest}"}}\n' for tag, digest in DIGEST_OF.items())
WRITTEN = "sha256:" + "c" * 64  # a digest that no listed tag has: whatever the registry says, it stays


def policies(image="ghcr.io/acme/app", reflection="IfNotPresent") -> str:
    return f"""\
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: {{name: app, namespace: flux-system}}
spec: {{image: "{image}"}}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {{name: app, namespace: flux-system}}
spec:
  imageRepositoryRef: {{name: app}}
  digestReflectionPolicy: {reflection}
  policy: {{semver: {{range: ">=1.0.0"}}}}
"""


def tree(root: Path, values: str, **policy) -> None:
    (root / "flux").mkdir()
    (root / "flux" / "policies.yaml").write_text(policies(**policy))
    (root / "values.yaml").write_text(values)


def plan_of(root: Path):
    return make_plan(root, FileTagSource.parse(TAGS, "tags.yaml"))


# --- digestReflectionPolicy: IfNotPresent on split tag and digest fields -----------------------


def test_if_not_present_keeps_a_written_digest_while_the_tag_beside_it_stays(tmp_path):
    values = (
        "stays:\n"
        '  tag: 1.2.0 # {"$imagepolicy": "flux-system:app:tag"}\n'
        f'  digest: {WRITTEN} # {{"$imagepolicy": "flux-system:app:digest"}}\n'
        "moves:\n"
        '  tag: 1.0.0 # {"$imagepolicy": "flux-system:app:tag"}\n'
        f'  digest: {WRITTEN} # {{"$imagepolicy": "flux-system:app:digest"}}\n'
    )
    tree(tmp_path, values)

    plan = plan_of(tmp_path)

    assert plan.errors == ()
    assert [(u.use.line, u.use.field, u.to_tag) for u in plan.updates] == [(5, "tag", "1.2.0"), (6, "digest", DIGEST_OF["1.2.0"])]


def test_if_not_present_keeps_a_written_digest_when_no_tag_of_its_policy_is_beside_it(tmp_path):
    values = (
        f'alone: {WRITTEN} # {{"$imagepolicy": "flux-system:app:digest"}}\n'
        "image:\n"
        '  tag: 1.0.0 # {"$imagepolicy": "flux-system:other:tag"}\n'
        f'  digest: {WRITTEN} # {{"$imagepolicy": "flux-system:app:digest"}}\n'
    )
    tree(tmp_path, values)

    plan = plan_of(tmp_path)

    assert plan.updates == () and plan.errors == ()


# --- an ImageRepository whose spec.image carries a tag -----------------------------------------


def test_an_image_repository_with_a_tag_in_its_image_is_refused_and_its_markers_left_alone(tmp_path):
    values = (
        'a: ghcr.io/acme/app:1.0.0 # {"$imagepolicy": "flux-system:app"}\n'
        'b: ghcr.io/acme/other # {"$imagepolicy": "flux-system:app:name"}\n'
    )
    tree(tmp_path, values, image="ghcr.io/acme/app:1.0.0")

    plan = plan_of(tmp_path)

    assert plan.updates == ()
    refused = [p.message for p in plan.errors if p.file == "flux/policies.yaml"]
    assert refused[0] == ("ImageRepository flux-system:app in flux/policies.yaml: spec.image 'ghcr.io/acme/app:1.0.0' "
                          "must name a repository without a tag or digest (Flux stalls it)")
    at_markers = sorted(p.line for p in plan.errors if p.file == "values.yaml")
    assert at_markers == [1, 2]
    assert all("ImageRepository flux-system:app is unusable" in p.message for p in plan.errors if p.file == "values.yaml")


# --- a marked null ------------------------------------------------------------------------------


def test_a_marked_null_is_filled_in_with_the_tag_and_scan_validate_and_update_agree(tmp_path):
    values = (
        'a:\n  tag: ~ # {"$imagepolicy": "flux-system:app:tag"}\n'
        'b:\n  tag: null # {"$imagepolicy": "flux-system:app:tag"}\n'
    )
    tree(tmp_path, values, reflection="Never")

    plan = plan_of(tmp_path)

    assert [(u.use.line, u.from_tag, u.to_tag) for u in plan.updates] == [(2, "", "1.2.0"), (4, "", "1.2.0")]
    assert validate(tmp_path).problems == ()
    assert apply_plan(tmp_path, plan) == ["values.yaml"]
    assert (tmp_path / "values.yaml").read_text() == values.replace(": ~ ", ": 1.2.0 ").replace(": null ", ": 1.2.0 ")
