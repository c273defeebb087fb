"""Patching a file is linear in its size and its edits, and parses each edited document once.

Linearity is shown by counting operations (characters copied, bytecode instructions executed, parses),
never by timing.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from automator.errors import ManifestError
from automator.manifest import patch as patch_module
from automator.manifest.locators import locate_text
from automator.manifest.patch import Edit, patch_text, pieces
from automator.model import Span, Update

MANIFEST_DIR = str(Path(patch_module.__file__).parent)

DEPLOY = """# workload {i}
kind: Deployment
metadata:
  name: app-{i}
  annotations:
    fluxcd.io/automated: "true"
spec:
  replicas: 2
  template:
    spec:
      containers:
      - name: app
        image: acme/app-{i}:1.0   # pinned by automation
      - name: side
        image: &side acme/side:1.0
"""


def multi_document(count: int) -> str:
    return "---\n".join(DEPLOY.format(i=i) for i in range(count))


def updates_to(text: str, tag: str) -> list[Update]:
    return [Update(use, use.image.tag or "", tag, use.image.with_tag(tag), "test") for use in locate_text("m.yaml", text).uses]


class CountingCompose:
    """Wraps the patcher's parser: how many documents and characters it parsed."""

    def __init__(self, monkeypatch) -> None:
        self.texts: list[str] = []
        real = patch_module.compose
        monkeypatch.setattr(patch_module, "compose", lambda chunk, *a, **k: self.texts.append(chunk.text) or real(chunk, *a, **k))


def operations(func) -> int:
    """Bytecode instructions executed by ``func()`` in the manifest package (the C parser aside)."""
    count = 0

    def local(frame, event, arg):
        nonlocal count
        if event == "opcode":
            count += 1
        return local

    def tracer(frame, event, arg):
        if not frame.f_code.co_filename.startswith(MANIFEST_DIR):
            return None
        frame.f_trace_opcodes = True
        return local

    sys.settrace(tracer)
    try:
        func()
    finally:
        sys.settrace(None)
    return count


def test_the_new_text_is_joined_from_slices_each_character_copied_once() -> None:
    text = "x: 1.0\n" * 5000
    edits = [Edit(Span(7 * i + 3, 7 * i + 6), "2.0.1") for i in range(0, 5000, 2)]
    parts = pieces(text, edits)
    assert len(parts) == 2 * len(edits) + 1
    assert sum(map(len, parts)) == len(text) + 2 * len(edits)  # = the new text's length
    assert "".join(parts) == text.replace("x: 1.0\nx: 1.0", "x: 2.0.1\nx: 1.0")


def test_patching_work_grows_linearly_with_documents_and_edits(monkeypatch) -> None:
    def work(count: int) -> tuple[int, int, bool]:
        text = multi_document(count)
        updates = updates_to(text, "2.0")
        parsed = CountingCompose(monkeypatch)
        out: list[str] = []
        ops = operations(lambda: out.append(patch_text("m.yaml", text, updates)))
        monkeypatch.undo()
        return ops, len(parsed.texts), "".join(parsed.texts) == out[0]

    small_ops, small_parses, small_whole = work(10)
    large_ops, large_parses, large_whole = work(80)
    # eight times the documents and edits: eight times the work (a copy of the text per edit,
    # or a look at every edit for every document, made it 9x at this size and 64x at the limit)
    assert large_ops <= 8.4 * small_ops
    assert (small_parses, large_parses) == (10, 80)  # one parse per edited document ...
    assert small_whole and large_whole  # ... of its new text, the old text never again


def test_only_the_new_text_of_edited_documents_is_parsed(monkeypatch) -> None:
    text = multi_document(3) + "---\nkind: ConfigMap\ndata: {a: b}\n"
    (_app, side, *_rest) = updates_to(text, "2.0")  # an anchored value: proven by a parse
    parsed = CountingCompose(monkeypatch)
    new = patch_text("m.yaml", text, [side])
    assert parsed.texts == [new[: new.index("---")]]  # document 1, patched: the old text was not re-read


def test_a_tag_for_a_tag_in_a_value_located_whole_is_proven_without_a_parse(monkeypatch) -> None:
    text = multi_document(3)
    (app, *_rest) = updates_to(text, "2.0")
    parsed = CountingCompose(monkeypatch)
    new = patch_text("m.yaml", text, [app])
    assert new == text.replace("acme/app-0:1.0", "acme/app-0:2.0", 1)
    assert parsed.texts == []  # see test_patch_sameshape.py for when a parse is still needed


def test_a_document_edited_elsewhere_since_locating_is_verified_against_its_own_text(monkeypatch) -> None:
    text = multi_document(2)
    updates = updates_to(text, "2.0")
    edited = text.replace("replicas: 2", "replicas: 5")  # same length: every located span still holds
    parsed = CountingCompose(monkeypatch)
    new = patch_text("m.yaml", edited, updates)
    assert new == edited.replace(":1.0", ":2.0")
    assert len(parsed.texts) == 4  # the kept proof no longer fits: old and new text of both documents


@pytest.mark.parametrize(
    ("new_text", "message"),
    [
        ("acme/app-0:2.0 # x", "became 'acme/app-0:2.0', expected 'acme/app-0:2.0 # x'"),
        ("[acme/app-0, '2.0']", "structure changed"),
        ("acme/app-0:2.0, b: c", "does not parse at line 13: mapping values"),
    ],
)
def test_a_new_value_that_is_not_one_scalar_is_refused(new_text: str, message: str) -> None:
    text = multi_document(2)
    use = locate_text("m.yaml", text).uses[0]
    with pytest.raises(ManifestError, match=message):
        patch_text("m.yaml", text, [Update(use, "1.0", "2.0", new_text, "test")])


def test_a_new_value_on_two_lines_is_refused() -> None:
    use = locate_text("m.yaml", DEPLOY.format(i=0)).uses[0]
    with pytest.raises(ManifestError, match="not one line"):
        patch_text("m.yaml", DEPLOY.format(i=0), [Update(use, "1.0", "2.0", "acme/app-0:2.0\n---", "test")])


def test_a_change_that_re_locating_does_not_show_is_refused() -> None:
    text = multi_document(1)
    use = locate_text("m.yaml", text).uses[0]
    wrong = Update(use, "1.0", "3.0", use.image.with_tag("2.0"), "test")  # says 3.0, writes 2.0
    with pytest.raises(ManifestError, match=r"does not show the planned change \(containers app\)"):
        patch_text("m.yaml", text, [wrong])


def test_an_anchored_value_changes_with_its_alias_and_is_proven_once() -> None:
    text = (
        "kind: Deployment\nmetadata:\n  annotations: {fluxcd.io/automated: 'true'}\nspec:\n  template:\n"
        "    spec:\n      containers:\n      - name: a\n        image: &img acme/x:1.0\n"
        "      - name: b\n        image: *img\n"
    )
    (update,) = updates_to(text, "1.1")
    assert patch_text("m.yaml", text, [update]) == text.replace("acme/x:1.0", "acme/x:1.1")


def test_an_edited_plain_value_that_would_not_read_as_text_is_refused() -> None:
    text = multi_document(1)
    use = locate_text("m.yaml", text).uses[0]
    with pytest.raises(ManifestError, match="would not read as text"):
        patch_text("m.yaml", text, [Update(use, "1.0", "1.10", "1.10", "test")])


def test_the_kept_tree_digest_is_the_digest_of_a_fresh_parse() -> None:
    """Locating holds references to the values it found; the digest must not notice."""
    from automator.manifest.proof import tree_digest
    from automator.manifest.yamldoc import compose, split_documents

    text = DEPLOY.format(i=1)
    kept = locate_text("m.yaml", text).uses[0].document
    fresh = compose(split_documents(text)[0])
    assert kept.tree_digest == tree_digest(fresh, aliases=True)
    changed = compose(split_documents(text.replace("replicas: 2", "replicas: 3"))[0])
    assert tree_digest(changed, aliases=True) != kept.tree_digest
