"""YAML directives (``%YAML 1.1``, ``%TAG``) belong to the document whose ``---`` follows them.

A directive line before a later ``---`` starts the next document: kept at the end of the
previous one it would make that document fail to parse (at the wrong line), and the image
there would not be updated."""

from __future__ import annotations

from automator.cli import main
from automator.manifest.locators import locate_text
from automator.manifest.yamldoc import split_documents

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations:
    automator.dev/policy: semver:^1
spec:
  template:
    spec:
      containers:
      - name: app
        image: ghcr.io/acme/app:1.0.0
"""
CONFIG = "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n"
LATER = "...\n%YAML 1.1\n# the next document's tags\n%TAG !e! tag:example.com,2024:\n"


def test_directives_before_a_later_marker_start_the_next_document():
    text = "%YAML 1.1\n---\n" + DEPLOYMENT + LATER + CONFIG
    first, second = split_documents(text)
    assert first.text == "%YAML 1.1\n---\n" + DEPLOYMENT + "...\n"
    assert (second.start, second.first_line) == (len(first.text), 16)
    assert second.text == LATER[len("...\n"):] + CONFIG


def test_the_document_before_directives_is_located_and_updated(tmp_path):
    text = (DEPLOYMENT + LATER + CONFIG).replace("\n", "\r\n")
    located = locate_text("d.yaml", text)
    assert located.problems == ()
    assert [(u.container, u.line) for u in located.uses] == [("app", 12)]
    (tmp_path / "d.yaml").write_bytes(text.encode())
    (tmp_path / "tags.yaml").write_text("ghcr.io/acme/app: [1.0.0, 1.2.0]\n")
    assert main(["update", str(tmp_path), "--tags-from", str(tmp_path / "tags.yaml")]) == 0
    assert (tmp_path / "d.yaml").read_bytes() == text.replace("app:1.0.0", "app:1.2.0").encode()
