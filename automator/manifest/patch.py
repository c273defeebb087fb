"""Patch manifest text at located spans and prove that exactly the intended values changed.

Pure: text in, text out. Edits are spliced last-first so earlier offsets stay valid; every
other byte (comments, quoting, CRLF, BOM, flow style, anchors, blank lines) is untouched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from automator.errors import ManifestError
from automator.manifest.scalars import needs_quotes, non_string_readers
from automator.manifest.yamldoc import (
    compose,
    kind_name,
    split_documents,
    value_bounds,
)
from automator.model import Span, Update


@dataclass(frozen=True)
class Edit:
    span: Span
    text: str


def render(quote: str, value: str) -> str:
    """The text that replaces a value's span: plain values that some YAML reader would not read
    as that string (see :mod:`automator.manifest.scalars`) get quotes."""
    if quote == "" and needs_quotes(value):
        return f'"{value}"'
    return value


def edits_for(updates: Sequence[Update]) -> list[Edit]:
    """One edit per distinct span (an anchored value used twice is one edit); conflicts raise."""
    by_span: dict[tuple[int, int], Edit] = {}
    for update in updates:
        key = (update.use.span.start, update.use.span.end)
        edit = Edit(update.use.span, update.new_text)
        if key in by_span and by_span[key] != edit:
            raise ManifestError(
                f"{update.use.file}:{update.use.line}: one value would get two different new values "
                f"({by_span[key].text!r} and {edit.text!r})"
            )
        by_span[key] = edit
    ordered = sorted(by_span.values(), key=lambda e: e.span.start)
    for before, after in zip(ordered, ordered[1:], strict=False):
        if before.span.end > after.span.start:
            raise ManifestError(f"overlapping edits at offsets {before.span.start} and {after.span.start}")
    return ordered


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """Splice each edit's text over its span, last first."""
    out = text
    for edit in sorted(edits, key=lambda e: e.span.start, reverse=True):
        out = out[: edit.span.start] + edit.text + out[edit.span.end :]
    return out


def verify_edits(old: str, new: str, edits: Sequence[Edit], roots: tuple[dict, dict] | None = None) -> None:
    """Re-parse the edited documents and raise unless only the edited scalars differ.

    Every node of every edited document must be the same (same shape, same anchors, same
    values) except the scalars at the edited spans, whose new values must be the edit texts.
    """
    old_chunks, new_chunks = split_documents(old), split_documents(new)
    if len(old_chunks) != len(new_chunks):
        raise ManifestError("the patched text has a different number of YAML documents")
    for old_chunk, new_chunk in zip(old_chunks, new_chunks, strict=False):
        end = old_chunk.start + len(old_chunk.text)
        expected = {e.span.start: _unquoted(e.text) for e in edits if old_chunk.start <= e.span.start < end}
        if not expected:
            if old_chunk.text != new_chunk.text:
                raise ManifestError(f"document {old_chunk.index + 1} changed although it has no edit")
            continue
        old_root = _root(roots[0] if roots else {}, old_chunk)
        new_root = _root(roots[1] if roots else {}, new_chunk)
        _compare(old_root, new_root, old_chunk.start, expected, old)
        if expected:
            lines = sorted(old.count("\n", 0, offset) + 1 for offset in expected)
            raise ManifestError(f"line {lines[0]}: the edited text is not a whole value")


def _root(known: dict, chunk):
    """The composed root of a chunk: reused when already parsed (same text), else composed."""
    entry = known.get(chunk.index)
    if entry is not None and entry[0].text == chunk.text:
        if isinstance(entry[1], ManifestError):
            raise entry[1]
        return entry[1]
    return compose(chunk, chunk.first_line)


def _unquoted(text: str) -> str:
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text


def _compare(a, b, base: int, expected: dict[int, str], text: str) -> None:
    """Walk both trees together; raise at the first difference not expected by an edit."""
    if a is None or b is None:
        if a is not b:
            raise ManifestError("a document became empty or non-empty")
        return
    seen: set[int] = set()
    stack = [(a, b)]
    pop, push = stack.pop, stack.append
    while stack:
        x, y = pop()
        if id(x) in seen:
            continue
        seen.add(id(x))
        kind = type(x)
        if kind is not type(y):
            raise ManifestError(f"line {x.start_mark.line + 1}: the structure changed")
        value = x.value
        if kind.__name__ == "ScalarNode":
            if value == y.value:
                continue  # an edited scalar left unchanged is caught below: its edit stays unmatched
            start = value_bounds(text, x, base)[0] + (1 if x.style in ('"', "'") else 0)
            want = expected.pop(start, value)
            if y.value != want:
                raise ManifestError(f"line {x.start_mark.line + 1}: value {value!r} became {y.value!r}, expected {want!r}")
            _check_resolves_as_text(y)
            continue
        if x.tag != y.tag or len(value) != len(y.value):
            raise ManifestError(f"line {x.start_mark.line + 1}: a {kind_name(x)} changed shape")
        if kind.__name__ == "MappingNode":
            for (kx, vx), (ky, vy) in zip(value, y.value, strict=True):
                push((vx, vy))
                push((kx, ky))
        else:
            for pair in zip(value, y.value, strict=True):
                push(pair)


def _check_resolves_as_text(node) -> None:
    """An edited plain scalar must read back as a string under every YAML reader."""
    if not node.style and needs_quotes(node.value):
        readers = ", ".join(f"{kind} to {name}" for name, kind in non_string_readers(node.value).items())
        raise ManifestError(f"line {node.start_mark.line + 1}: the new value {node.value} would not read as text ({readers}); write it quoted")


def patch_text(file: str, text: str, updates: Sequence[Update], locators=None) -> str:
    """Apply updates to one file's text; raise :class:`ManifestError` unless exactly they changed.

    Two proofs: the re-parsed documents equal the old ones apart from the edited scalars, and
    re-locating the new text finds the same automated fields with the new tags. Each text is
    parsed once for both.
    """
    from automator.manifest.locate import locate_parsed, parse_text

    if locators is None:
        from automator.manifest.locators import LOCATORS as locators
    for update in updates:
        use = update.use
        was = use.current if use.current is not None else use.image.tag or "" if use.field == "tag" else use.image.written
        if text[use.span.start : use.span.end] != was:
            raise ManifestError(f"{file}:{use.line}: the file changed since it was scanned; scan again")
    edits = edits_for(updates)
    new = apply_edits(text, edits)
    old_parsed, new_parsed = parse_text(text, locators), parse_text(new, locators)
    verify_edits(text, new, edits, (old_parsed.docs, new_parsed.docs))
    before = locate_parsed(file, old_parsed).uses
    after = locate_parsed(file, new_parsed).uses
    wanted = {_key(u): _state(u) for u in before}
    for update in updates:
        wanted[_key(update.use)] = _state(update.use, update.to_tag)
    found = {_key(u): _state(u) for u in after}
    if found != wanted:
        changed = sorted(k[3] for k in set(found) | set(wanted) if found.get(k) != wanted.get(k))
        raise ManifestError(
            f"{file}: re-locating the patched text does not show the planned change "
            f"(containers {', '.join(changed)})"
        )
    return new


def _state(use, new: str | None = None) -> tuple[str, str | None]:
    """What a located field holds: its tag, or for a name/digest field its own text."""
    if use.field in ("name", "digest"):
        return use.image.repository, new if new is not None else use.current
    return use.image.repository, new if new is not None else use.image.tag


def _key(use) -> tuple[str, str, str, str, str]:
    return (use.dialect, use.workload, use.field, use.container, str(use.line))
