"""Splicing new values at spans, and the verification that refuses anything else."""

from __future__ import annotations

import pytest

from automator.errors import ManifestError
from automator.manifest.locators import locate_text
from automator.manifest.patch import Edit, apply_edits, edits_for, patch_text, render, verify_edits
from automator.model import Span, Update

TEXT = 'a: x  # keep\nb: "y"\nc: &anchor z\nd: *anchor\n'


@pytest.mark.parametrize(
    ("quote", "value", "text"),
    [
        ("", "1.2.3", "1.2.3"),
        ("", "1.10", '"1.10"'),
        ("", "7", '"7"'),
        ("", "yes", '"yes"'),
        ("", "v1.10", "v1.10"),
        ("", "nginx:1.10", "nginx:1.10"),
        ('"', "1.10", "1.10"),
        ("'", "7", "7"),
    ],
)
def test_render_quotes_plain_values_that_would_not_read_as_strings(quote: str, value: str, text: str) -> None:
    assert render(quote, value) == text


def test_edits_are_spliced_last_first_keeping_every_other_byte() -> None:
    edits = [Edit(Span(3, 4), "xx"), Edit(Span(17, 18), "yyy")]
    assert apply_edits(TEXT, edits) == 'a: xx  # keep\nb: "yyy"\nc: &anchor z\nd: *anchor\n'


def test_verification_accepts_exactly_the_edited_values() -> None:
    edits = [Edit(Span(3, 4), "xx")]
    verify_edits(TEXT, apply_edits(TEXT, edits), edits)


def test_editing_an_anchored_value_is_one_edit_seen_through_its_alias() -> None:
    edits = [Edit(Span(31, 32), "zz")]
    new = apply_edits(TEXT, edits)
    verify_edits(TEXT, new, edits)
    assert new.endswith("c: &anchor zz\nd: *anchor\n")


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ('a: x  # keep\nb: "y"\nc: &anchor z\nd: *anchor\ne: 1\n', "changed shape"),
        ('a: q  # keep\nb: "y"\nc: &anchor z\nd: *anchor\n', "value 'x' became 'q'"),
        ('a: x  # keep\nb: "y"\n---\nc: &anchor z\nd: *anchor\n', "number of YAML documents"),
    ],
)
def test_verification_refuses_any_other_change(new: str, message: str) -> None:
    edit = Edit(Span(17, 18), "y")  # an edit that changes nothing by itself
    with pytest.raises(ManifestError, match=message):
        verify_edits(TEXT, new, [edit])


def test_an_edit_that_is_not_a_whole_value_is_refused() -> None:
    edits = [Edit(Span(3, 6), "x # ")]  # swallows part of the comment spacing
    with pytest.raises(ManifestError):
        verify_edits(TEXT, apply_edits(TEXT, edits), edits)


DEPLOY = """kind: Deployment
metadata:
  annotations:
    fluxcd.io/automated: "true"
spec:
  template:
    spec:
      containers:
      - name: a
        image: acme/a:1.0
"""


def update_for(text: str, to: str) -> Update:
    (use,) = locate_text("d.yaml", text).uses
    return Update(use, use.image.tag or "", to, use.image.with_tag(to), "test")


def test_patch_text_refuses_a_file_that_changed_since_it_was_scanned() -> None:
    update = update_for(DEPLOY, "2.0")
    with pytest.raises(ManifestError, match="changed since it was scanned"):
        patch_text("d.yaml", DEPLOY.replace("1.0", "1.1"), [update])


def test_patch_text_refuses_two_different_values_for_one_field() -> None:
    update = update_for(DEPLOY, "2.0")
    other = Update(update.use, "1.0", "3.0", "acme/a:3.0", "test")
    with pytest.raises(ManifestError, match="two different new values"):
        edits_for([update, other])


def test_patch_text_changes_only_the_value() -> None:
    assert patch_text("d.yaml", DEPLOY, [update_for(DEPLOY, "2.0")]) == DEPLOY.replace("acme/a:1.0", "acme/a:2.0")
