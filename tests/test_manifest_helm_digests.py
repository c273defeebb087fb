"""A `digest:` key beside the tag key in HelmRelease values moves with the tag.

Bitnami charts (and many others) take `image.digest` beside `image.tag`; when it is set, their
templates render `repository@digest` and the tag is not used. So an update of the tag writes
the new tag's digest too, read from the registry, as a tag written `tag@digest` does; an empty
`digest: ""` stays empty. When the new tag's digest cannot be learnt, neither is written.
"""

from __future__ import annotations

import pytest

from automator.cli import main
from automator.manifest.locators import locate_text

RELEASE = """\
apiVersion: helm.toolkit.fluxcd.io/v2beta1
kind: HelmRelease
metadata:
  name: redis
  namespace: data
  annotations:
    {prefix}automated: "true"
    {prefix}tag.chart-image: semver:~7.0
    {prefix}tag.metrics: semver:~1.25
spec:
  values:
    image:
      registry: {registry}
      repository: bitnami/redis
      tag: 7.0.5
      digest: ""
    metrics:
      enabled: true
      image:
        registry: {registry}
        repository: bitnami/nginx
        tag: 1.25.3
        digest: "{digest}"
        pullPolicy: IfNotPresent
"""
OLD, NEW = "sha256:" + "1" * 64, "sha256:" + "2" * 64


def release(registry: str = "ghcr.io", digest: str = OLD, prefix: str = "fluxcd.io/") -> str:
    return RELEASE.format(registry=registry, digest=digest, prefix=prefix)


def test_the_digest_beside_a_tag_is_located_as_a_field_of_the_same_image():
    tag, digest = [use for use in locate_text("r.yaml", release()).uses if use.container == "metrics"]
    assert (tag.field, tag.image.tag, tag.line) == ("tag", "1.25.3", 22)
    assert (digest.field, digest.current, digest.line, digest.quote) == ("digest", OLD, 23, '"')
    assert digest.image.written == f"ghcr.io/bitnami/nginx:1.25.3@{OLD}" and digest.policy == tag.policy
    # the empty digest of the other image is no field
    assert [use.field for use in locate_text("r.yaml", release()).uses if use.container == "chart-image"] == ["tag"]


def test_a_digest_that_does_not_read_as_one_leaves_its_image_alone():
    located = locate_text("r.yaml", release(digest="sha256:abc"))
    assert [use.container for use in located.uses] == ["chart-image"]
    (problem,) = located.problems
    assert problem.line == 23 and "the digest beside the tag of container 'metrics': invalid digest" in problem.message


@pytest.mark.registry
def test_an_update_moves_the_digest_with_the_tag_and_leaves_an_empty_digest_empty(local_registry, tmp_path, capsys):
    local_registry.push("bitnami/redis", "7.0.5", created="2024-01-01T00:00:00Z")
    local_registry.push("bitnami/redis", "7.0.15", created="2024-02-01T00:00:00Z")
    old = local_registry.push("bitnami/nginx", "1.25.3", created="2024-01-01T00:00:00Z")
    new = local_registry.push("bitnami/nginx", "1.25.4", created="2024-02-01T00:00:00Z")
    env = tmp_path / "env"
    env.mkdir()
    (env / "redis.yaml").write_text(release(local_registry.host, old))
    assert main(["update", str(env), "--no-cache"]) == 0, capsys.readouterr()
    expected = release(local_registry.host, new).replace("tag: 1.25.3", "tag: 1.25.4").replace("tag: 7.0.5", "tag: 7.0.15")
    assert (env / "redis.yaml").read_text() == expected


def test_without_the_new_tags_digest_neither_tag_nor_digest_is_written(tmp_path, capsys):
    env = tmp_path / "env"
    env.mkdir()
    (env / "redis.yaml").write_text(release())
    (tmp_path / "tags.yaml").write_text('ghcr.io/bitnami/nginx: ["1.25.3", "1.25.4"]\nghcr.io/bitnami/redis: ["7.0.5"]\n')
    assert main(["update", str(env), "--tags-from", str(tmp_path / "tags.yaml"), "--no-cache"]) == 1
    err = capsys.readouterr().err
    assert "redis.yaml:23: ghcr.io/bitnami/nginx: the digest of tag 1.25.4 is not known" in err
    assert "redis.yaml:22: ghcr.io/bitnami/nginx: tag 1.25.4 is not written without its digest" in err
    assert (env / "redis.yaml").read_text() == release()


def test_a_tags_file_with_digests_moves_both(tmp_path, capsys):
    env = tmp_path / "env"
    env.mkdir()
    (env / "redis.yaml").write_text(release())
    (tmp_path / "tags.yaml").write_text(
        f'ghcr.io/bitnami/nginx: [{{tag: "1.25.3", digest: "{OLD}"}}, {{tag: "1.25.4", digest: "{NEW}"}}]\n'
        'ghcr.io/bitnami/redis: ["7.0.5"]\n'
    )
    assert main(["update", str(env), "--tags-from", str(tmp_path / "tags.yaml"), "--no-cache"]) == 0, capsys.readouterr()
    assert (env / "redis.yaml").read_text() == release(digest=NEW).replace("tag: 1.25.3", "tag: 1.25.4")


def test_the_native_dialect_moves_a_digest_beside_its_tag_too():
    text = release(prefix="automator.dev/").replace("automator.dev/automated", "automator.dev/policy").replace(
        "automator.dev/tag.chart-image: semver:~7.0", "automator.dev/policy.chart-image: semver:~7.0").replace(
        "automator.dev/tag.metrics", "automator.dev/policy.metrics")
    located = locate_text("r.yaml", text)
    assert not located.problems
    assert sorted((use.container, use.field) for use in located.uses) == [
        ("chart-image", "tag"), ("metrics", "digest"), ("metrics", "tag")]
