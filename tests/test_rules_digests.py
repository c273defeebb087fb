"""Digests move with their tags, against the real distribution registry on 127.0.0.1."""

from __future__ import annotations

import json

import pytest
import requests

from automator.cli import main

pytestmark = pytest.mark.registry

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
  annotations:
    automator.dev/policy: "{policy}"
spec:
  template:
    spec:
      containers:
        - name: app
          image: {image}
"""


def write_env(tmp_path, image, policy="semver:^1", rules=None):
    env = tmp_path / "env"
    env.mkdir(parents=True)
    (env / "app.yaml").write_text(DEPLOYMENT.format(image=image, policy=policy))
    if rules:
        (env / ".automator.yaml").write_text(rules)
    return env


def update(env, capsys):
    code = main(["update", str(env), "--no-cache"])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    return (env / "app.yaml").read_text()


def test_a_pinned_digest_moves_with_its_tag(local_registry, tmp_path, capsys):
    old = local_registry.push("rules/moving", "1.0.0", created="2024-01-01T00:00:00Z")
    new = local_registry.push("rules/moving", "1.1.0", created="2024-02-01T00:00:00Z")
    assert old != new
    env = write_env(tmp_path, f"{local_registry.host}/rules/moving:1.0.0@{old}")
    assert f"image: {local_registry.host}/rules/moving:1.1.0@{new}\n" in update(env, capsys)


HELM_RELEASE = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: app
  annotations:
    automator.dev/policy: semver:^1
spec:
  values:
    image:
      repository: {repository}
      tag: {tag}
"""


def test_a_tag_key_written_tag_at_digest_moves_both_as_charts_document_it(local_registry, tmp_path, capsys):
    old = local_registry.push("rules/chart", "1.0.0", created="2024-01-01T00:00:00Z")
    new = local_registry.push("rules/chart", "1.1.0", created="2024-02-01T00:00:00Z")
    env = tmp_path / "env"
    env.mkdir()
    repository = f"{local_registry.host}/rules/chart"
    (env / "release.yaml").write_text(HELM_RELEASE.format(repository=repository, tag=f"1.0.0@{old}"))
    assert main(["update", str(env), "--no-cache"]) == 0, capsys.readouterr()
    assert (env / "release.yaml").read_text() == HELM_RELEASE.format(repository=repository, tag=f"1.1.0@{new}")


def test_a_digest_following_the_mutable_tag_stable(local_registry, tmp_path, capsys):
    first = local_registry.push("rules/stable", "stable", created="2024-01-01T00:00:00Z")
    env = write_env(tmp_path, f"{local_registry.host}/rules/stable:stable@{first}", policy="glob:stable")
    assert update(env, capsys) == DEPLOYMENT.format(
        image=f"{local_registry.host}/rules/stable:stable@{first}", policy="glob:stable"), "nothing moved yet"
    second = local_registry.push("rules/stable", "stable", created="2024-03-01T00:00:00Z")
    assert main(["scan", str(env), "--no-cache", "--json"]) == 0
    (entry,) = json.loads(capsys.readouterr().out)["updates"]
    assert (entry["from"], entry["to"], entry["reason"]) == ("stable", "stable", "the digest of stable moved")
    assert f"image: {local_registry.host}/rules/stable:stable@{second}\n" in update(env, capsys)


def test_a_rule_pins_digests_and_picks_the_platform_image_of_an_index(local_registry, tmp_path, capsys):
    local_registry.push("rules/multi", "1.0.0", created="2024-01-01T00:00:00Z")
    index = local_registry.push("rules/multi", "1.1.0", created="2024-02-01T00:00:00Z",
                                platforms=["linux/amd64", "linux/arm64"])
    accept = "application/vnd.oci.image.index.v1+json"
    body = requests.get(f"{local_registry.url}/v2/rules/multi/manifests/{index}", headers={"Accept": accept}, timeout=10).json()
    arm = next(m["digest"] for m in body["manifests"] if m["platform"]["architecture"] == "arm64")
    image = f"{local_registry.host}/rules/multi:1.0.0"

    pinned = write_env(tmp_path / "a", image, rules="rules:\n  - digest: true\n")
    assert f"image: {local_registry.host}/rules/multi:1.1.0@{index}\n" in update(pinned, capsys)

    arm_env = write_env(tmp_path / "b", image, rules="rules:\n  - digest: true\n    platform: linux/arm64\n")
    assert f"image: {local_registry.host}/rules/multi:1.1.0@{arm}\n" in update(arm_env, capsys)


def test_without_a_known_digest_nothing_is_written_and_the_image_is_named(tmp_path, capsys):
    digest = "sha256:" + "a" * 64
    env = write_env(tmp_path, f"ghcr.io/acme/app:1.0.0@{digest}")
    (tmp_path / "tags.yaml").write_text('ghcr.io/acme/app: ["1.0.0", "1.1.0"]\n')
    code = main(["update", str(env), "--tags-from", str(tmp_path / "tags.yaml"), "--no-cache"])
    _out, err = capsys.readouterr()
    assert code == 1
    assert "no digest for ghcr.io/acme/app:1.1.0" in err
    assert f"ghcr.io/acme/app:1.0.0@{digest}" in (env / "app.yaml").read_text()


FLUX_POLICY = """\
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: {{name: app, namespace: flux-system}}
spec: {{image: {repository}}}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {{name: app, namespace: flux-system}}
spec:
  imageRepositoryRef: {{name: app}}
  policy: {{semver: {{range: 1.x}}}}
"""
KUSTOMIZATION = """\
images:
  - name: app
    newTag: {tag} # {{"$imagepolicy": "flux-system:app:tag"}}
    digest: {digest} # {{"$imagepolicy": "flux-system:app:digest"}}
"""


def test_a_digest_field_moves_with_the_tag_that_rules_chose(local_registry, tmp_path, capsys):
    old = local_registry.push("rules/kust", "1.0.0", created="2024-01-01T00:00:00Z")
    patch = local_registry.push("rules/kust", "1.0.1", created="2024-02-01T00:00:00Z")
    local_registry.push("rules/kust", "1.1.0", created="2024-03-01T00:00:00Z")
    env = tmp_path / "env"
    env.mkdir()
    (env / "images.yaml").write_text(FLUX_POLICY.format(repository=f"{local_registry.host}/rules/kust"))
    (env / "kustomization.yaml").write_text(KUSTOMIZATION.format(tag="1.0.0", digest=old))
    (env / ".automator.yaml").write_text("rules:\n  - max-change: patch\n")
    code = main(["update", str(env), "--no-cache"])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert (env / "kustomization.yaml").read_text() == KUSTOMIZATION.format(tag="1.0.1", digest=patch)
