"""`automator explain` covers every automated image and agrees with scan and update: an image
whose chosen tag cannot be written is an error, an image left alone before planning is listed
with the reason, and every JSON entry has the same fields whatever its verdict."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from automator.cli import main

DIGEST_PINNED = """\
apiVersion: v1
kind: Pod
metadata:
  name: p
  annotations:
    automator.dev/policy: "semver:^1"
spec:
  containers:
    - name: x
      image: ghcr.io/acme/x:1.0.0@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
    - name: y
      image: ghcr.io/acme/y:1.0.0
"""
LEFT_ALONE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: a
  annotations:
    automator.dev/policy.a: "semver:^1"
    automator.dev/policy.b: "semver:~1.0"
spec:
  template:
    spec:
      containers:
        - name: a
          image: &img ghcr.io/acme/x:1.0.0
        - name: b
          image: *img
---
apiVersion: v1
kind: Pod
metadata:
  name: blk
  annotations:
    automator.dev/policy: "semver:^1"
spec:
  containers:
    - name: c
      image: >-
        ghcr.io/acme/y:1.0.0
"""
TYPO = """\
apiVersion: v1
kind: Pod
metadata:
  name: p
  annotations:
    automator.dev/policy: "semver:^1"
    automator.dev/polcy: "semver:^1"
spec:
  containers:
    - name: x
      image: ghcr.io/acme/x:1.0.0
"""
TAGS = 'ghcr.io/acme/x: ["1.0.0", "1.1.0"]\nghcr.io/acme/y: ["1.0.0", "1.1.0"]\nghcr.io/acme/z: ["1.0.0"]\n'
STAYS = """\
apiVersion: v1
kind: Pod
metadata:
  name: z
  annotations:
    automator.dev/policy: "semver:^1"
spec:
  containers:
    - name: z
      image: ghcr.io/acme/z:1.0.0
"""
FIELDS = {"file", "line", "image", "container", "workload", "dialect", "policy", "current", "field", "holds",
          "verdict", "to", "reason", "write", "writes", "considered", "excluded", "excluded_count"}


def env(tmp_path: Path, files: dict[str, str], rules: str = "") -> Path:
    (tmp_path / "env").mkdir()
    for name, text in files.items():
        (tmp_path / "env" / name).write_text(text)
    if rules:
        (tmp_path / "env" / ".automator.yaml").write_text(rules)
    (tmp_path / "tags.yaml").write_text(TAGS)
    return tmp_path


def explain(capsys, base: Path, *extra: str) -> tuple[int, str, str]:
    code = main(["explain", str(base / "env"), "--tags-from", str(base / "tags.yaml"), *extra])
    out, err = capsys.readouterr()
    return code, out, err


def test_an_image_whose_chosen_tag_has_no_digest_is_an_error_with_that_reason(tmp_path, capsys):
    base = env(tmp_path, {"d.yaml": DIGEST_PINNED}, "version: 1\nrules:\n  - match: {images: ghcr.io/acme/y}\n    digest: true\n")

    code, out, _ = explain(capsys, base, "--json")

    assert code == 1
    verdicts = [(e["image"], e["verdict"], e["reason"]) for e in json.loads(out)["images"]]
    assert verdicts == [
        ("ghcr.io/acme/x", "error", "d.yaml:10: no digest for ghcr.io/acme/x:1.1.0 (the digest must move with the tag; check the registry)"),
        ("ghcr.io/acme/y", "error", "d.yaml:12: no digest for ghcr.io/acme/y:1.1.0 (the digest must move with the tag; check the registry)"),
    ]


def test_images_left_alone_before_planning_are_explained_where_they_are(tmp_path, capsys):
    base = env(tmp_path, {"a.yaml": LEFT_ALONE})

    code, out, err = explain(capsys, base)

    assert code == 1
    assert "no automated images found" not in out
    assert out.startswith("a.yaml:13  ghcr.io/acme/x\n  error\n  why: a.yaml:13: ghcr.io/acme/x is a YAML anchor used in 2 places")
    assert "a.yaml:26  ghcr.io/acme/y\n  error\n  why: a.yaml:26: container 'c': image values in block scalars" in out
    assert err == ""  # each error printed once, at its image


def test_a_file_held_by_strict_is_explained_at_its_typo(tmp_path, capsys):
    base = env(tmp_path, {"w.yaml": TYPO})

    code, out, _ = explain(capsys, base, "--strict", "--json")

    assert code == 1
    [entry] = json.loads(out)["images"]
    assert (entry["file"], entry["line"], entry["verdict"]) == ("w.yaml", 7, "error")
    assert entry["reason"].endswith("--strict: w.yaml left unchanged")


def test_every_json_entry_has_every_field_whatever_its_verdict(tmp_path, capsys):
    base = env(tmp_path, {"a.yaml": LEFT_ALONE, "d.yaml": DIGEST_PINNED, "z.yaml": STAYS, "w.yaml": TYPO})

    _, out, _ = explain(capsys, base, "--json")

    entries = json.loads(out)["images"]
    assert {e["verdict"] for e in entries} == {"moves", "stays", "error"}
    assert all(set(e) == FIELDS for e in entries)
    stays = next(e for e in entries if e["verdict"] == "stays")
    assert (stays["write"], stays["writes"], stays["considered"]) == (None, None, 1)
    left_alone = next(e for e in entries if e["line"] == 26)
    assert (left_alone["considered"], left_alone["excluded"], left_alone["excluded_count"]) == (0, [], 0)


@pytest.mark.parametrize("quiet", [False, True])
def test_explain_json_lists_errors_only_and_warnings_go_to_stderr_unless_quiet(tmp_path, capsys, quiet):
    base = env(tmp_path, {"w.yaml": TYPO})

    code, out, err = explain(capsys, base, "--json", *(["-q"] if quiet else []))

    assert code == 0
    assert json.loads(out)["errors"] == []
    typo = "warning: w.yaml:7: unknown annotation automator.dev/polcy"
    assert (typo in err) is not quiet
