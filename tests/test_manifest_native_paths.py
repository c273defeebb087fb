"""The native dialect's explicit paths (``automator.dev/registry.<c>``, ``repository.<c>``,
``tag.<c>``) name the very values an image is made of: a path that leads to something other
than a plain value is an error on that place, never a value quietly left out (an ignored
registry would resolve the image on Docker Hub and update the wrong repository)."""

from __future__ import annotations

import pytest

from automator.manifest.locators import locate_text

TENANT = """\
apiVersion: example.com/v1
kind: Tenant
metadata:
  name: tenant-a
  annotations:
    automator.dev/policy: semver:^1
    automator.dev/registry.worker: spec.registry
    automator.dev/repository.worker: spec.repo
    automator.dev/tag.worker: spec.version
spec:
  registry: {registry}
  repo: acme/worker
  version: "1.0.0"
"""

RELEASE = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: rel
  annotations:
    automator.dev/policy: semver:^1
    automator.dev/registry.worker: img.registry
    automator.dev/repository.worker: img.repo
    automator.dev/tag.worker: img.tag
spec:
  values:
    img:
      registry: {registry}
      repo: acme/worker
      tag: "1.0.0"
"""


@pytest.mark.parametrize(("template", "line"), [(TENANT, 11), (RELEASE, 13)], ids=["resource", "helm-release"])
@pytest.mark.parametrize(("registry", "kind"), [("{host: quay.io}", "mapping"), ("[quay.io]", "list")])
def test_an_explicit_registry_path_to_a_mapping_or_list_is_an_error_naming_container_and_place(template, line, registry, kind):
    located = locate_text("t.yaml", template.format(registry=registry))
    assert located.uses == ()  # not resolved on Docker Hub instead
    (problem,) = located.problems
    assert (problem.severity, problem.file, problem.line) == ("error", "t.yaml", line)
    assert problem.message.startswith(f"t.yaml:{line}: ")
    assert f"the registry of container 'worker' is a {kind}, not a plain value" in problem.message


@pytest.mark.parametrize(
    ("paths", "message"),
    [
        ("    automator.dev/image.r: ''\n", "container 'r': the image path is empty"),
        ("    automator.dev/repository.r: ''\n    automator.dev/tag.r: spec.tag\n", "container 'r': the repository path is empty"),
        ("    automator.dev/registry.r: spec.registry\n", "container 'r': a registry path is mapped but no repository path"),
    ],
    ids=["empty-image-path", "empty-repository-path", "registry-path-alone"],
)
def test_a_missing_or_empty_image_path_is_named_as_it_was_written(paths, message):
    """No tag path was given in these: the message must not say one was."""
    text = ("apiVersion: example.com/v1\nkind: Tenant\nmetadata:\n  name: t\n  annotations:\n"
            f"    automator.dev/policy: semver:^1\n{paths}spec:\n  img: acme/x:1.0.0\n  tag: 1.0.0\n  registry: quay.io\n")
    (problem,) = locate_text("t.yaml", text).problems
    assert message in problem.message
