"""Files that carry automation but must not be patched: duplicate keys and SOPS encryption;
and anchors merged with ``<<`` that count only where they take effect."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from automator.manifest.locators import locate_text

WORKLOAD = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations:
    fluxcd.io/automated: "true"
    fluxcd.io/tag.app: semver:~1.0
spec:
  template:
    spec:
      containers:
      - name: app
        image: acme/app:1.0.0
"""


def line_of(text: str, needle: str, nth: int = 0) -> int:
    starts = [m.start() for m in re.finditer(re.escape(needle), text)]
    return text.count("\n", 0, starts[nth]) + 1


def test_a_key_written_twice_on_the_path_to_an_image_refuses_the_file_naming_both_lines() -> None:
    text = WORKLOAD + "spec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: acme/app:1.0.0\n"
    located = locate_text("web.yaml", text)
    assert located.uses == ()
    (problem,) = located.problems
    assert problem.severity == "error"
    first, again = line_of(text, "\nspec:") + 1, line_of(text, "\nspec:", 1) + 1
    assert problem.message.startswith(f"web.yaml:{again}: duplicate key 'spec' (also at line {first})")
    assert "remove one of them (file left alone)" in problem.message


def test_an_image_key_written_twice_refuses_the_file() -> None:
    text = WORKLOAD + "        image: acme/app:0.9.0\n"
    located = locate_text("web.yaml", text)
    assert located.uses == ()
    assert [p.line for p in located.problems] == [line_of(text, "image: acme/app:0.9.0")]


def test_a_duplicate_annotation_refuses_the_file_even_when_the_first_copy_automates_nothing() -> None:
    text = WORKLOAD.replace('    fluxcd.io/automated: "true"\n', '    fluxcd.io/automated: "false"\n    fluxcd.io/automated: "true"\n')
    located = locate_text("web.yaml", text)
    assert located.uses == ()
    assert "duplicate key 'fluxcd.io/automated'" in located.problems[0].message


def test_a_duplicate_key_away_from_automation_does_not_stop_the_file() -> None:
    text = WORKLOAD.replace("  template:\n", "  template:\n    metadata:\n      labels: {a: b, a: c}\n")
    text += "---\napiVersion: v1\nkind: ConfigMap\ndata:\n  x: '1'\n  x: '2'\n"
    located = locate_text("web.yaml", text)
    assert located.problems == ()
    assert [u.image.tag for u in located.uses] == ["1.0.0"]


SOPS = """\
sops:
  kms: []
  age:
  - recipient: age1xyz
    enc: |
      -----BEGIN AGE ENCRYPTED FILE-----
      -----END AGE ENCRYPTED FILE-----
  lastmodified: "2024-01-01T00:00:00Z"
  mac: ENC[AES256_GCM,data:abc,iv:def,tag:ghi,type:str]
  encrypted_regex: ^(data|stringData)$
  version: 3.8.1
"""


def test_a_sops_encrypted_file_is_never_patched() -> None:
    text = WORKLOAD + SOPS
    located = locate_text("web.yaml", text)
    assert located.uses == ()
    (problem,) = located.problems
    assert problem.line == line_of(text, "sops:")
    assert "SOPS-encrypted" in problem.message and "would no longer decrypt" in problem.message
    assert "update the plaintext source" in problem.message


def test_a_sops_key_without_a_mac_is_ordinary_data() -> None:
    located = locate_text("web.yaml", WORKLOAD + "sops:\n  note: not encrypted\n")
    assert located.problems == ()
    assert len(located.uses) == 1


MERGED = """\
apiVersion: helm.fluxcd.io/v1
kind: HelmRelease
metadata:
  name: app
  annotations:
    fluxcd.io/automated: "true"
    fluxcd.io/tag.sidecar: semver:~1.0
spec:
  values:
    base: &base
      image: acme/sidecar
      tag: v0.9.0
    sidecar:
      <<: *base
      tag: v1.0.0
"""


def test_a_merged_key_overridden_by_the_merging_mapping_is_not_shared() -> None:
    located = locate_text("r.yaml", MERGED)
    assert located.problems == ()
    (use,) = [u for u in located.uses if u.container == "sidecar"]
    assert (use.line, MERGED[use.span.start : use.span.end]) == (line_of(MERGED, "tag: v1.0.0"), "v1.0.0")


def test_a_merged_value_still_in_effect_names_every_place_that_uses_it() -> None:
    text = MERGED.replace("      tag: v1.0.0\n", "      other: x\n")
    located = locate_text("r.yaml", text)
    assert [u for u in located.uses if u.container == "sidecar"] == []
    (problem,) = [p for p in located.problems if "anchor" in p.message]
    assert "used in 2 places (spec.values.base.tag, spec.values.sidecar.tag)" in problem.message


# --- properties: generated files ---------------------------------------------------------

PATH_KEYS = ["spec", "template", "containers", "image", "metadata", "annotations", "kind"]


@st.composite
def duplicated(draw):
    """The workload with one key on the path to the image (or in metadata) written twice."""
    lines = WORKLOAD.splitlines()
    key = draw(st.sampled_from(PATH_KEYS))
    index = next(i for i, line in enumerate(lines) if line.strip().lstrip("- ").startswith(f"{key}:"))
    indent = len(lines[index]) - len(lines[index].lstrip(" -"))
    copy = " " * indent + f"{key}: {draw(st.sampled_from(['x', '{}', 'acme/app:0.1.0', '[]']))}"
    where = draw(st.sampled_from(["before", "after"]))
    # the copy goes into the same mapping: right after the key's own block or just before it
    end = index + 1
    while end < len(lines) and (len(lines[end]) - len(lines[end].lstrip(" -"))) > indent:
        end += 1
    lines.insert(index if where == "before" else end, copy)
    return "\n".join(lines) + "\n", key


@settings(max_examples=60, deadline=None)
@given(duplicated())
def test_property_any_duplicate_key_on_the_path_leaves_the_file_alone(case) -> None:
    text, key = case
    located = locate_text("f.yaml", text)
    assert located.uses == ()
    assert any(f"duplicate key '{key}'" in p.message for p in located.problems), located.problems


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(["pgp", "kms", "age", "azure_kv"]), st.booleans(), st.integers(0, 2))
def test_property_a_sops_block_anywhere_in_the_file_leaves_it_alone(backend: str, first: bool, extra_docs: int) -> None:
    block = f"sops:\n  {backend}: []\n  mac: ENC[AES256_GCM,data:x]\n  version: 3.7.3\n"
    docs = [WORKLOAD + block] + ["apiVersion: v1\nkind: ConfigMap\n"] * extra_docs
    if not first:
        docs.reverse()
    text = "---\n".join(docs)
    located = locate_text("f.yaml", text)
    assert located.uses == ()
    assert [p.line for p in located.problems] == [line_of(text, "sops:")]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["image", "tag", "pullPolicy"]), unique=True), st.booleans())
def test_property_merge_keys_follow_yaml_merge_semantics(overridden: list[str], two_sources: bool) -> None:
    """Where YAML (as ruamel.yaml constructs it, by the spec: the first merged mapping wins;
    PyYAML lets the last one win) finds the sidecar's values is where the patch goes."""
    own = "".join(f"      {k}: {'v1.0.0' if k == 'tag' else 'own-' + k}\n" for k in overridden)
    merge = "[*base, *extra]" if two_sources else "*base"
    own = own or "      other: x\n"
    text = MERGED.replace("      <<: *base\n      tag: v1.0.0\n", f"      <<: {merge}\n{own}")
    text = text.replace("    sidecar:", "    extra: &extra\n      tag: v0.5.0\n      image: acme/other\n    sidecar:")
    located = locate_text("r.yaml", text)
    data = YAML(typ="safe", pure=True).load(text)["spec"]["values"]["sidecar"]
    uses = [u for u in located.uses if u.container == "sidecar"]
    if "tag" in overridden:
        (use,) = uses
        assert text[use.span.start : use.span.end] == data["tag"] == "v1.0.0"
        image = data["image"] if data["image"].startswith("acme/") else "acme/sidecar"  # own-image is not a reference
        assert use.image.repository == f"docker.io/{image}" or "image" in overridden
    else:
        assert uses == []  # the tag is the anchored one, still used by "base" (and maybe "extra")
        assert any("used in" in p.message for p in located.problems)
