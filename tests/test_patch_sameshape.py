"""A tag for a tag in a value that locating took whole is proven without parsing the document;
everything else is parsed and proven as before (automator/manifest/sameshape.py).

Each case counts the parses the patcher makes: zero when the proof without a parse holds, at
least one when it must refuse, and then the parse decides (the patch goes through, or it is
refused with the usual message).
"""

from __future__ import annotations

import pytest

from automator.errors import ManifestError
from automator.manifest import patch as patch_module
from automator.manifest.locators import locate_text
from automator.manifest.patch import patch_text
from automator.manifest.sameshape import provable, safe_text
from automator.model import Update

DEPLOY = """kind: Deployment
metadata:
  name: web
  annotations:
    fluxcd.io/automated: "true"
spec:
  template:
    spec:
      containers:
      - name: app
        image: {image}   # the app
"""

FLOW = """kind: Deployment
metadata: {{name: web, annotations: {{fluxcd.io/automated: "true"}}}}
spec:
  template:
    spec:
      containers: [{{name: app, image: {image}}}]
"""

HELM = """apiVersion: helm.fluxcd.io/v1
kind: HelmRelease
metadata:
  name: web
  annotations:
    fluxcd.io/automated: "true"
spec:
  values:
    image:
      repository: acme/app
      tag: {tag}
"""


@pytest.fixture
def parses(monkeypatch) -> list[str]:
    """The texts the patcher composes while the test runs."""
    texts: list[str] = []
    real = patch_module.compose
    monkeypatch.setattr(patch_module, "compose", lambda chunk, *a, **k: texts.append(chunk.text) or real(chunk, *a, **k))
    return texts


def update(text: str, tag: str, new_text: str | None = None) -> Update:
    (use,) = locate_text("m.yaml", text).uses
    if new_text is None:
        new_text = tag if use.field == "tag" else use.image.with_tag(tag)
    return Update(use, use.image.tag or "", tag, new_text, "test")


@pytest.mark.parametrize(
    "image",
    [
        "acme/app:1.0",
        '"acme/app:1.0"',
        "'acme/app:1.0'",
        "registry.local:5000/team/app:1.0",
        "acme/app:1.0-rc.1_build.7",
    ],
)
def test_a_new_tag_in_a_whole_value_is_written_without_a_parse(image: str, parses: list[str]) -> None:
    text = DEPLOY.format(image=image)
    new = patch_text("m.yaml", text, [update(text, "1.1")])
    old_tag = image.strip("'\"").rsplit(":", 1)[1]
    assert new == text.replace(f":{old_tag}", ":1.1")
    assert parses == []


def test_a_value_in_flow_context_is_proven_alike(parses: list[str]) -> None:
    text = FLOW.format(image="acme/app:1.0")
    assert patch_text("m.yaml", text, [update(text, "2.0")]) == text.replace("acme/app:1.0", "acme/app:2.0")
    assert parses == []


def test_a_tag_field_is_proven_without_a_parse(parses: list[str]) -> None:
    text = HELM.format(tag="1.0.0")
    assert patch_text("m.yaml", text, [update(text, "1.1.0")]) == HELM.format(tag="1.1.0")
    assert parses == []


def test_a_tag_that_would_not_read_as_text_is_parsed_and_refused(parses: list[str]) -> None:
    text = HELM.format(tag="1.0.0")
    with pytest.raises(ManifestError, match="would not read as text"):
        patch_text("m.yaml", text, [update(text, "1.10", "1.10")])
    assert parses  # the parse decided


def test_a_tag_that_needs_quotes_is_written_quoted_after_a_parse(parses: list[str]) -> None:
    text = HELM.format(tag="1.0.0")
    assert patch_text("m.yaml", text, [update(text, "1.10", '"1.10"')]) == HELM.format(tag='"1.10"')
    assert parses


@pytest.mark.parametrize(
    "new_text",
    [
        "acme/app:2.0 # x",  # a comment would end the value
        "acme/app:2.0, b: c",  # a mapping in the value's place
        "acme/app:2.0: x",
        "acme/app:",  # a key: the value would become a mapping
        "-acme/app:2.0",
        "[acme/app, '2.0']",
        "*alias",
        "&anchor acme/app:2.0",
        "!!str acme/app:2.0",
        "acme/app:2.0@sha256:" + "a" * 64,
    ],
)
def test_new_text_that_might_not_scan_alike_is_parsed_first(new_text: str, parses: list[str]) -> None:
    text = DEPLOY.format(image="acme/app:1.0")
    try:
        new = patch_text("m.yaml", text, [update(text, "2.0", new_text)])
    except ManifestError:
        pass  # refused by the parse
    else:
        assert new == text.replace("acme/app:1.0", new_text)  # the parse showed it is the planned change
    assert parses


@pytest.mark.parametrize("quote", ['"', "'"])
def test_a_quote_in_the_new_text_of_a_quoted_value_is_parsed_and_refused(quote: str, parses: list[str]) -> None:
    text = DEPLOY.format(image=f"{quote}acme/app:1.0{quote}")
    with pytest.raises(ManifestError):
        patch_text("m.yaml", text, [update(text, "2.0", f"acme/app:2.0{quote}, x: {quote}y")])
    assert parses


def test_a_document_with_an_alias_is_parsed(parses: list[str]) -> None:
    text = DEPLOY.format(image="&img acme/app:1.0") + "      - name: copy\n        image: *img\n"
    (use, *_more) = locate_text("m.yaml", text).uses
    new = patch_text("m.yaml", text, [Update(use, "1.0", "2.0", use.image.with_tag("2.0"), "test")])
    assert new == text.replace("acme/app:1.0", "acme/app:2.0")
    assert parses


def test_a_change_of_repository_or_the_wrong_tag_is_parsed_and_refused(parses: list[str]) -> None:
    text = DEPLOY.format(image="acme/app:1.0")
    with pytest.raises(ManifestError, match="does not show the planned change"):
        patch_text("m.yaml", text, [update(text, "2.0", "acme/other:2.0")])
    with pytest.raises(ManifestError, match="does not show the planned change"):
        patch_text("m.yaml", text, [update(text, "3.0", "acme/app:2.0")])
    assert parses


def test_a_document_edited_since_locating_is_parsed(parses: list[str]) -> None:
    text = DEPLOY.format(image="acme/app:1.0")
    planned = update(text, "2.0")
    edited = text.replace("# the app", "# the web")  # the kept proof no longer fits
    assert patch_text("m.yaml", edited, [planned]) == edited.replace("acme/app:1.0", "acme/app:2.0")
    assert len(parses) == 2  # old and new text


@pytest.mark.parametrize(
    ("text", "quote", "safe"),
    [
        ("acme/app:1.2.3", "", True),
        ("1.2.3", "", True),
        ("1.10", "", False),  # a float to YAML 1.1 readers
        ("1.10", '"', True),
        ("true", "", False),
        ("null", "", False),
        ("0x1F", "", False),
        ("acme/app:", "", False),
        ("-1.0", "", False),
        (".5", "", False),
        ("_x", "", False),
        ("a b", "", False),
        ("a#b", "", False),
        ("a,b", "", False),
        ("a]", "", False),
        ('a"b', '"', False),
        ("a\\b", '"', False),
        ("a'b", "'", False),
        ("", "", False),
        ("é", "", False),
        ("a" * 1001, "", False),
    ],
)
def test_which_new_texts_scan_alike(text: str, quote: str, safe: bool) -> None:
    assert safe_text(text, quote) is safe


def test_the_proof_refuses_what_locating_did_not_take_whole_or_read_alike() -> None:
    text = DEPLOY.format(image="acme/app:1.0")
    planned = update(text, "2.0")
    start, end = planned.use.span.start, planned.use.span.end
    edit = [(start, end, "acme/app:2.0", "")]
    by_start = {start: [planned]}
    assert provable(text, frozenset({start}), False, edit, by_start, [], False)
    assert not provable(text, frozenset(), False, edit, by_start, [], False)  # not taken whole
    assert not provable(text, frozenset({start}), True, edit, by_start, [], False)  # aliases
    assert not provable(text, frozenset({start}), False, edit, by_start, [], True)  # rules read it
    # another field took its repository from the edited value (a registry written apart)
    assert not provable(text, frozenset({start}), False, edit, by_start, ["acme/app:1.0/side"], False)
    # the kept state is not what the old text says: this reading of the field is not the locator's
    from dataclasses import replace

    from automator.imageref import parse_image_ref

    other = replace(planned, use=replace(planned.use, image=parse_image_ref("registry.io/acme/app:1.0")))
    assert not provable(text, frozenset({start}), False, edit, {start: [other]}, [], False)
    assert not provable(text, frozenset({start}), False, edit, {}, [], False)  # no planned update
