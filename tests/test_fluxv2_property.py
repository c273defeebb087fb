"""Property: on generated manifests (random comments, quoting, indentation, line ends), patching
the marked fields changes exactly those scalars, and the result reads as the same data apart
from them."""

from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from automator.manifest.fluxv2.locate import bind_catalog
from automator.manifest.fluxv2.tree import catalog_of
from automator.manifest.locators import LOCATORS, locate_text
from automator.manifest.patch import patch_text
from automator.model import Update
from automator.plan import new_text

POLICIES = """\
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: {name: app, namespace: flux-system}
spec: {image: ghcr.io/acme/app}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {name: app, namespace: flux-system}
spec:
  imageRepositoryRef: {name: app}
  policy: {semver: {range: 1.x}}
"""
LOCATE = bind_catalog(LOCATORS, catalog_of([("flux.yaml", POLICIES)]))

quotes = st.sampled_from(["", "'", '"'])
spaces = st.text(" ", min_size=1, max_size=4)
comments = st.text(st.sampled_from("abc #:-{}"), max_size=12)
versions = st.tuples(st.integers(0, 9), st.integers(0, 20)).map(lambda v: f"1.{v[0]}.{v[1]}")


@st.composite
def manifests(draw):
    indent = draw(st.integers(1, 4))
    pad = " " * indent
    lines, targets = ["apiVersion: apps/v1", "kind: Deployment", "containers:"], []
    for index in range(draw(st.integers(1, 4))):
        q = draw(quotes)
        kind = draw(st.sampled_from(["image", "tag"]))
        version = draw(versions)
        value = f"ghcr.io/acme/app:{version}" if kind == "image" else version
        suffix = "" if kind == "image" else ":tag"
        marker = draw(st.sampled_from(['{"$imagepolicy": "%s"}', '{ "$imagepolicy" : "%s" }', '{"$imagepolicy":"%s"}']))
        marker = marker % f"flux-system:app{suffix}"
        lines.append(f"{pad}- name: c{index}{draw(spaces)}# {draw(comments)}")
        if draw(st.booleans()):
            lines.append(f"{pad}  # {draw(comments)}")
        lines.append(f"{pad}  {kind}: {q}{value}{q}{draw(spaces)}# {marker}")
        lines.append(f"{pad}  other: {q}{version}{q}")
        targets.append((kind, version))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return newline.join(lines) + newline, targets


@settings(max_examples=60, deadline=None)
@given(manifests(), versions)
def test_patching_changes_exactly_the_marked_scalars(manifest, chosen):
    text, targets = manifest
    located = locate_text("deploy.yaml", text, LOCATE)
    assert located.problems == ()
    assert [(u.field, u.image.tag) for u in located.uses] == targets
    updates = [Update(u, u.image.tag or "", chosen, new_text(u, chosen), "test") for u in located.uses if u.image.tag != chosen]
    new = patch_text("deploy.yaml", text, updates, LOCATE)

    load = YAML(typ="safe", pure=True).load
    before, after = load(text), load(new)
    for container in before["containers"]:
        if "image" in container:
            container["image"] = f"ghcr.io/acme/app:{chosen}"
        else:
            container["tag"] = chosen
    assert after == before
    old_lines, new_lines = text.split("\n"), new.split("\n")
    assert len(old_lines) == len(new_lines)
    for old_line, new_line in zip(old_lines, new_lines, strict=True):
        if old_line != new_line:  # only a marked line, and only its value
            value = old_line.split(":", 1)[1].split("#", 1)[0].strip(" '\"").rpartition(":")[2]
            assert "$imagepolicy" in old_line and old_line.replace(value, chosen, 1) == new_line
