"""Property tests: on generated manifests (random comments, quoting, indentation, blank lines),
patching changes exactly the target scalars and the result parses to the same data apart
from them."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from automator.manifest.locators import locate_text
from automator.manifest.patch import patch_text
from automator.model import TagInfo
from automator.plan import build_policies, plan_updates

NAMES = st.sampled_from(["app", "web", "api", "worker", "sidecar", "init"])
COMMENT = st.sampled_from(["", "", "  # note", "    #x: y", " # image: evil:9.9.9"])
QUOTE = st.sampled_from(["", "'", '"'])
VERSION = st.tuples(st.integers(0, 3), st.integers(0, 12), st.integers(0, 12)).map(lambda v: "{}.{}.{}".format(*v))


@st.composite
def manifests(draw):
    indent = draw(st.sampled_from([2, 3, 4]))
    seq_indented = draw(st.booleans())
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    pad = " " * indent
    names = draw(st.lists(NAMES, min_size=1, max_size=4, unique=True))
    lines = [
        draw(st.sampled_from(["", "# header comment", "---"])),
        "apiVersion: apps/v1",
        "kind: Deployment",
        "metadata:",
        f"{pad}name: demo" + draw(COMMENT),
        f"{pad}annotations:",
        f'{pad}{pad}fluxcd.io/automated: "true"' + draw(COMMENT),
    ]
    lines += [f"{pad}{pad}fluxcd.io/tag.{n}: semver:*" + draw(COMMENT) for n in names]
    lines += ["spec:", f"{pad}replicas: {draw(st.integers(1, 5))}", ""] if draw(st.booleans()) else ["spec:"]
    lines += [f"{pad}template:", f"{pad}{pad}spec:", f"{pad}{pad}{pad}containers:"]
    item = pad * 3 + (pad if seq_indented else "")
    bumped = {}
    for name in names:
        quote = draw(QUOTE)
        version = draw(VERSION)
        major, minor, patch = version.split(".")
        bumped[name] = f"{major}.{minor}.{int(patch) + 1}"  # always a newer tag in the same major
        ref = f"acme/{name}:{version}"
        lines.append(f"{item}- name: {name}" + draw(COMMENT))
        if draw(st.booleans()):
            lines.append("")
        props = draw(st.sampled_from(["", "", f"&img-{name} ", "!!str ", f"&a{name} !!str "]))
        lines.append(f"{item}  image:{' ' * draw(st.integers(1, 3))}{props}{quote}{ref}{quote}" + draw(COMMENT))
        if draw(st.booleans()):
            lines.append(f"{item}  args: [--port, '80', \"x\"]" + draw(COMMENT))
    tags = {
        f"docker.io/acme/{n}": tuple(TagInfo(t) for t in [bumped[n], *draw(st.lists(VERSION, max_size=5))])
        for n in names
    }
    return newline.join(lines) + newline, tags


def load(text: str):
    return list(YAML(typ="safe", pure=True).load_all(text))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(manifests())
def test_patching_changes_exactly_the_target_scalars(case) -> None:
    text, tags = case
    uses = locate_text("m.yaml", text).uses
    plan = plan_updates(uses, tags, build_policies(uses))
    new = patch_text("m.yaml", text, plan.updates)
    assert plan.updates, "every generated manifest has a newer tag for each container"

    # 1. data: equal apart from the image values, which hold the new references
    old_data, new_data = load(text), load(new)
    expected = {u.use.container: u.use.image.with_tag(u.to_tag) for u in plan.updates}
    for old_doc, new_doc in zip(old_data, new_data, strict=True):
        if old_doc is None:
            assert new_doc is None
            continue
        old_containers = old_doc["spec"]["template"]["spec"]["containers"]
        new_containers = new_doc["spec"]["template"]["spec"]["containers"]
        for before, after in zip(old_containers, new_containers, strict=True):
            assert after["image"] == expected.get(before["name"], before["image"])
            after["image"] = before["image"]
    assert old_data == new_data

    # 2. text: only lines holding a changed value differ, and only in that value
    old_lines, new_lines = text.split("\n"), new.split("\n")
    assert len(old_lines) == len(new_lines)
    changed = {u.use.line for u in plan.updates}
    for number, (before, after) in enumerate(zip(old_lines, new_lines, strict=True), 1):
        if number not in changed:
            assert before == after
    for update in plan.updates:
        line = old_lines[update.use.line - 1]
        assert new_lines[update.use.line - 1] == line.replace(update.use.image.written, update.new_text, 1)


@settings(max_examples=40, deadline=None)
@given(manifests())
def test_relocating_the_patched_text_finds_the_new_tags(case) -> None:
    text, tags = case
    uses = locate_text("m.yaml", text).uses
    plan = plan_updates(uses, tags, build_policies(uses))
    new = patch_text("m.yaml", text, plan.updates)
    again = {u.container: u.image.tag for u in locate_text("m.yaml", new).uses}
    for update in plan.updates:
        assert again[update.use.container] == update.to_tag
    assert plan_updates(locate_text("m.yaml", new).uses, tags, build_policies(uses)).updates == ()


@st.composite
def helm_releases(draw):
    """HelmReleases whose values hold ``<name>.image`` + ``<name>.tag`` in random styles."""
    pad = " " * draw(st.sampled_from([2, 4]))
    names = draw(st.lists(NAMES, min_size=1, max_size=3, unique=True))
    flow = draw(st.booleans())
    lines = [
        "apiVersion: helm.toolkit.fluxcd.io/v2beta1",
        "kind: HelmRelease",
        "metadata:",
        f"{pad}name: rel" + draw(COMMENT),
        f"{pad}annotations:",
        f'{pad}{pad}fluxcd.io/automated: "true"',
        *[f"{pad}{pad}fluxcd.io/tag.{n}: semver:*" for n in names],
        "spec:",
        f"{pad}values:",
    ]
    tags = {}
    for name in names:
        minor = draw(st.integers(0, 9))
        quote = draw(QUOTE)
        tag = f"{quote}1.{minor}{quote}"  # plain 1.N reads as a number: new values must be quoted
        if flow:
            lines.append(f"{pad}{pad}{name}: {{image: acme/{name}, tag: {tag}}}" + draw(COMMENT))
        else:
            lines += [f"{pad}{pad}{name}:" + draw(COMMENT), f"{pad}{pad}{pad}image: acme/{name}", f"{pad}{pad}{pad}tag: {tag}" + draw(COMMENT)]
        tags[f"docker.io/acme/{name}"] = (TagInfo(f"1.{minor}"), TagInfo(f"1.{minor + 1}"), TagInfo("1.10"))
    return "\n".join(lines) + "\n", tags


@settings(max_examples=40, deadline=None)
@given(helm_releases())
def test_split_tag_fields_change_only_the_tag_and_stay_strings(case) -> None:
    text, tags = case
    uses = locate_text("h.yaml", text).uses
    plan = plan_updates(uses, tags, build_policies(uses))
    assert plan.updates and all(u.use.field == "tag" for u in plan.updates)
    new = patch_text("h.yaml", text, plan.updates)
    (old_doc,), (new_doc,) = load(text), load(new)
    for update in plan.updates:
        values = new_doc["spec"]["values"][update.use.container]
        assert values["tag"] == "1.10"  # a string, not the number 1.1
        assert values["image"] == old_doc["spec"]["values"][update.use.container]["image"]
        old_doc["spec"]["values"][update.use.container]["tag"] = "1.10"
    assert old_doc == new_doc
    assert [line for line in new.split("\n") if "tag:" not in line] == [line for line in text.split("\n") if "tag:" not in line]
