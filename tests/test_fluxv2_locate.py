"""Locating marked fields: what becomes an ImageUse, a warning or an error, and with which span."""

import pytest

from automator.manifest.fluxv2.locate import bind_catalog
from automator.manifest.fluxv2.tree import catalog_of
from automator.manifest.locators import LOCATORS, locate_text

POLICIES = """\
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImageRepository
metadata: {name: app, namespace: flux-system}
spec: {image: ghcr.io/acme/app}
---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImagePolicy
metadata: {name: app, namespace: flux-system}
spec:
  imageRepositoryRef: {name: app}
  policy: {semver: {range: 1.x}}
---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImagePolicy
metadata: {name: broken, namespace: flux-system}
spec:
  imageRepositoryRef: {name: gone}
  policy: {semver: {range: 1.x}}
"""
CATALOG = catalog_of([("flux/policies.yaml", POLICIES)])
BOUND = bind_catalog(LOCATORS, CATALOG)


def locate(text, file="apps/deploy.yaml"):
    return locate_text(file, text, BOUND)


def marked(line):
    return f"{line} # {{\"$imagepolicy\": \"flux-system:app\"}}"


@pytest.mark.parametrize(
    ("text", "field", "value", "quote"),
    [
        ('image: ghcr.io/acme/app:1.0.0 # {"$imagepolicy": "flux-system:app"}\n', "image", "ghcr.io/acme/app:1.0.0", ""),
        ('image: "ghcr.io/acme/app:1.0.0" # {"$imagepolicy": "flux-system:app"}\n', "image", "ghcr.io/acme/app:1.0.0", '"'),
        ("- 'ghcr.io/acme/app' # {\"$imagepolicy\": \"flux-system:app:name\"}\n", "name", "ghcr.io/acme/app", "'"),
        ('tag: 1.0.0 # {"$imagepolicy": "flux-system:app:tag"}\n', "tag", "1.0.0", ""),
        ('d: sha256:' + "0" * 64 + ' # {"$imagepolicy": "flux-system:app:digest"}\n', "digest", "sha256:" + "0" * 64, ""),
        ('image: &app ghcr.io/acme/app:1.0.0 # {"$imagepolicy": "flux-system:app"}\n', "image", "ghcr.io/acme/app:1.0.0", ""),
        ('tag: !!str "1.0.0" # {"$imagepolicy": "flux-system:app:tag"}\n', "tag", "1.0.0", '"'),
    ],
)
def test_each_marker_kind_gives_the_exact_span_of_its_scalar(text, field, value, quote):
    found = locate(text)
    (use,) = found.uses
    assert (use.field, text[use.span.start : use.span.end], use.quote, use.current) == (field, value, quote, value)
    assert (use.image.repository, use.policy.spec, use.dialect) == ("ghcr.io/acme/app", "semver:1.x", "fluxv2")
    assert found.problems == ()


def test_the_image_in_effect_and_the_container_come_from_the_resource():
    text = """\
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers:
      - name: main
        image: ghcr.io/acme/app:1.0.0 # {"$imagepolicy": "flux-system:app"}
        env:
        - name: APP_TAG
          value: "1.0.0" # {"$imagepolicy": "flux-system:app:tag"}
"""
    image, tag = locate(text).uses
    assert (image.container, image.workload, image.image.tag, image.line) == ("main", "Deployment/web", "1.0.0", 8)
    assert (tag.container, tag.image.written, tag.line) == ("spec.template.spec.containers.[0].env.[0].value", "ghcr.io/acme/app:1.0.0", 11)


def test_an_unknown_policy_is_a_warning_and_the_value_is_left_alone():
    found = locate('image: ghcr.io/acme/app:1.0.0 # {"$imagepolicy": "flux-system:nope"}\n')
    (problem,) = found.problems
    assert found.uses == ()
    assert problem.severity == "warning" and (problem.file, problem.line) == ("apps/deploy.yaml", 1)
    assert "apps/deploy.yaml:1" in problem.message and "flux-system:nope" in problem.message


def test_without_the_catalog_every_marker_names_an_unknown_policy():
    found = locate_text("a.yaml", 'image: ghcr.io/acme/app:1.0.0 # {"$imagepolicy": "flux-system:app"}\n')
    assert found.uses == () and [p.severity for p in found.problems] == ["warning"]


def test_a_policy_that_could_not_be_read_is_an_error_at_the_marker():
    (problem,) = locate('image: ghcr.io/acme/app:1.0.0 # {"$imagepolicy": "flux-system:broken"}\n').problems
    assert problem.severity == "error" and "ImageRepository flux-system:gone is not in the scanned tree" in problem.message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('image: "Not An Image" # {"$imagepolicy": "flux-system:app"}\n', "invalid"),
        ('tag: "not a tag!" # {"$imagepolicy": "flux-system:app:tag"}\n', "is not a valid image tag"),
        ('d: sha256:abc # {"$imagepolicy": "flux-system:app:digest"}\n', "is not an image digest"),
        ('image: "ghcr.io/acme/app:\\x31" # {"$imagepolicy": "flux-system:app"}\n', "escapes"),
        ('image: >-  # {"$imagepolicy": "flux-system:app"}\n  ghcr.io/acme/app:1.0.0\n', "block scalars"),
        ('image: |  # {"$imagepolicy": "flux-system:app"}\n  ghcr.io/acme/app:1.0.0\n', "block scalars"),
    ],
)
def test_a_marked_value_that_cannot_be_patched_is_an_error_naming_the_line(text, message):
    found = locate(text)
    (problem,) = found.problems
    assert found.uses == () and problem.severity == "error"
    assert problem.message.startswith("apps/deploy.yaml:1: ") and message in problem.message


def test_markers_inside_block_scalars_and_ordinary_comments_are_ignored():
    text = """\
data:
  config.yaml: |
    image: ghcr.io/acme/app:1.0.0 # {"$imagepolicy": "flux-system:app"}
# image: ghcr.io/acme/app:1.0.0 # {"$imagepolicy": "flux-system:app"}
note: see {"$imagepolicy"} # {"$imagepolicy": 1}
"""
    found = locate(text)
    assert found.uses == () and found.problems == ()


def test_a_value_of_another_repository_is_rewritten_to_the_policy_image_as_flux_does():
    (use,) = locate(marked("image: nginx:1.0.0") + "\n").uses
    assert (use.image.repository, use.image.written, use.current) == ("ghcr.io/acme/app", "ghcr.io/acme/app:1.0.0", "nginx:1.0.0")


KUSTOMIZATION = """\
images:
- name: app
  newName: ghcr.io/acme/app # {"$imagepolicy": "flux-system:app:name"}
  newTag: 1.0.0 # {"$imagepolicy": "flux-system:app:tag"}
  digest: sha256:%s # {"$imagepolicy": "flux-system:app:digest"}
""" % ("1" * 64)


@pytest.mark.parametrize("name", ["kustomization.yaml", "kustomization.yml", "Kustomization"])
def test_kustomization_images_entries_are_their_own_dialect_assembled_from_siblings(name):
    found = locate(KUSTOMIZATION, f"overlay/{name}")
    assert [(u.dialect, u.field, u.container) for u in found.uses] == [
        ("kustomize", "name", "app"),
        ("kustomize", "tag", "app"),
        ("kustomize", "digest", "app"),
    ]
    assert {u.image.written for u in found.uses} == {"ghcr.io/acme/app:1.0.0@sha256:" + "1" * 64}


def test_images_entries_outside_a_kustomization_file_are_plain_markers():
    found = locate(KUSTOMIZATION, "overlay/images.yaml")
    assert {u.dialect for u in found.uses} == {"fluxv2"}


def test_a_marker_that_does_not_fit_its_images_field_is_an_error():
    text = 'images:\n- name: app\n  newTag: 1.0.0 # {"$imagepolicy": "flux-system:app"}\n'
    (problem,) = locate(text, "kustomization.yaml").problems
    assert "newTag takes :tag" in problem.message and problem.severity == "error"


def test_spans_are_offsets_into_the_whole_file_with_bom_crlf_and_several_documents():
    text = "\ufeff" + marked("image: ghcr.io/acme/app:1.0.0") + "\r\n---\r\nkind: X\r\nv: 'ghcr.io/acme/app:1.1.0' " + "# {\"$imagepolicy\": \"flux-system:app\"}\r\n"
    first, second = locate(text).uses
    assert [text[u.span.start : u.span.end] for u in (first, second)] == ["ghcr.io/acme/app:1.0.0", "ghcr.io/acme/app:1.1.0"]
    assert [u.line for u in (first, second)] == [1, 4]
