"""Locate automated image fields in manifest text (pure: text in, uses and problems out).

A *locator* handles one dialect. It declares the substrings (``markers``) without which a
document cannot concern it, and turns one composed document into :class:`ImageUse` values,
:class:`Problem` values and :class:`Fact` values. Facts are repository-wide objects that
some dialect needs in order to decide policies (for example Flux v2 ``ImagePolicy``
objects); a locator that needs them also has ``resolve(uses, facts)``, called once after the
whole tree was located, which returns the final uses and problems for the uses it produced.

Adding a dialect is one entry in :data:`automator.manifest.locators.LOCATORS`. This module
never imports that table (the table depends on the locators, the locators on :class:`Locator`):
callers pass the locators, or use the conveniences in :mod:`automator.manifest.locators`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from automator.errors import ManifestError
from automator.manifest.guards import (
    duplicate_key_problems,
    is_sops_root,
    might_be_sops,
    sops_problem,
)
from automator.manifest.proof import with_proofs
from automator.manifest.sharing import shared_places
from automator.manifest.yamldoc import (
    Chunk,
    Document,
    compose,
    has_alias,
    split_documents,
)
from automator.model import ImageUse, PolicySpec, Problem
from automator.values import value_type


@value_type
class Fact:
    """A repository-wide object found while locating (e.g. an ImagePolicy), kept for resolve."""

    locator: str
    kind: str
    key: str
    file: str
    data: Any = field(default=None, compare=False, hash=False)


Found = ImageUse | Problem | Fact


@runtime_checkable
class Locator(Protocol):
    """One dialect. ``markers``: substrings a document must contain to be parsed for it."""

    name: str
    markers: tuple[str, ...]

    def locate(self, doc: Document) -> Iterable[Found]: ...


@runtime_checkable
class ResolvingLocator(Locator, Protocol):
    """A locator whose uses depend on objects elsewhere in the tree."""

    def resolve(self, uses: Sequence[ImageUse], facts: Sequence[Fact]) -> Iterable[ImageUse | Problem]: ...


@value_type
class Located:
    """What one file holds: its automated fields, its problems and facts for other files."""

    file: str
    uses: tuple[ImageUse, ...] = ()
    problems: tuple[Problem, ...] = ()
    facts: tuple[Fact, ...] = ()


def all_markers(locators: Mapping[str, Locator]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(m for loc in locators.values() for m in loc.markers))


def screen(text: str, locators: Mapping[str, Locator]) -> bool:
    """The cheap test: could this text concern any locator at all?"""
    return any(marker in text for marker in all_markers(locators))


@dataclass
class Parsed:
    """The screened documents of one text, composed once (a root, or the parse error)."""

    text: str
    docs: dict[int, tuple[Chunk, Any, list[Locator]]]


def parse_text(text: str, locators: Mapping[str, Locator]) -> Parsed:
    """Compose every document that contains a marker of some locator; skip the others."""
    docs: dict[int, tuple[Chunk, Any, list[Locator]]] = {}
    if not screen(text, locators):
        return Parsed(text, docs)
    for chunk in split_documents(text):
        interested = [loc for loc in locators.values() if any(m in chunk.text for m in loc.markers)]
        if not interested:
            continue
        try:
            root: Any = compose(chunk, chunk.first_line)
        except ManifestError as error:
            root = error
        docs[chunk.index] = (chunk, root, interested)
    return Parsed(text, docs)


def locate_parsed(file: str, parsed: Parsed, *, prove: bool = True, guards: bool = True) -> Located:
    """Locate the parsed documents; with ``prove``, each use carries its document's proof.

    ``guards=False`` re-locates patched documents of a file that passed the guards (duplicate
    keys, SOPS) when it was located: a patch that changes only values cannot change their
    outcome, and checking the whole file once per patched document would be quadratic.
    """
    uses: list[ImageUse] = []
    problems: list[Problem] = []
    facts: list[Fact] = []
    located: list[tuple[Chunk, Any, set[int]]] = []
    refused = False
    for chunk, root, interested in parsed.docs.values():
        if isinstance(root, ManifestError):
            if any(not is_opt_in(loc) for loc in interested):  # its own automation: an error
                problems.append(Problem(f"{file}: {root.message}", file=file, line=chunk.first_line))
            continue  # only rules could have opted it in: a chart template or other YAML
        if root is None:
            continue
        doc = Document(file, parsed.text, chunk, root)
        mine: list[ImageUse] = []
        for locator in interested:
            try:
                for found in locator.locate(doc):
                    (mine if isinstance(found, ImageUse) else problems if isinstance(found, Problem) else facts).append(found)
            except ManifestError as error:
                problems.append(Problem(str(error), file=file, line=chunk.first_line))
        mine = _own_automation_first(mine, {loc.name for loc in interested if is_opt_in(loc)})
        duplicates = guards and duplicate_key_problems(doc, mine, (m for loc in interested for m in loc.markers))
        if duplicates:
            problems.extend(duplicates)
            refused = True
        uses.extend(_shared_alike(doc, mine, problems) if mine and has_alias(chunk.text) else mine)
        if mine:
            located.append((chunk, root, doc.whole))
    if uses and guards and might_be_sops(parsed.text):
        line = _sops_line(parsed)
        if line is not None:
            problems.append(sops_problem(file, line))
            refused = True
    if refused:  # the whole file is left alone
        return Located(file, (), tuple(problems), tuple(facts))
    kept = _dedupe(uses, problems)
    if prove:
        kept = with_proofs(located, kept)
    return Located(file, tuple(kept), tuple(problems), tuple(facts))


def _sops_line(parsed: Parsed) -> int | None:
    """The first line of a SOPS-encrypted document of the text, or None."""
    for chunk in split_documents(parsed.text):
        if not might_be_sops(chunk.text):
            continue
        entry = parsed.docs.get(chunk.index)
        try:
            root = entry[1] if entry is not None else compose(chunk, chunk.first_line)
        except ManifestError:
            continue
        if not isinstance(root, ManifestError) and root is not None and is_sops_root(root):
            return chunk.first_line + next(
                (n for n, line in enumerate(chunk.text.splitlines()) if line.startswith("sops:")), 0
            )
    return None


def is_opt_in(locator: Locator) -> bool:
    """A locator that opts images in from outside the file (rules): it never makes a file's
    own YAML problems errors, and yields to a dialect that the file itself names."""
    return bool(getattr(locator, "opt_in", False))


def _own_automation_first(uses: list[ImageUse], opted: set[str]) -> list[ImageUse]:
    """Drop opted-in uses (dialects in ``opted``) of a value that an annotation or marker
    already governs (quietly)."""
    own = [u for u in uses if u.dialect not in opted]
    if len(own) == len(uses):
        return uses
    taken = [(u.span.start, u.span.end) for u in own]
    return [u for u in uses if u.dialect not in opted or not any(s < u.span.end and u.span.start < e for s, e in taken)]


def locate_text(file: str, text: str, locators: Mapping[str, Locator]) -> Located:
    """Find every automated field in one file's text. Never raises for bad input.

    ``automator.manifest.locators.locate_text`` is the same with the table of dialects as default."""
    return locate_parsed(file, parse_text(text, locators))


def _shared_alike(doc: Document, uses: list[ImageUse], problems: list[Problem]) -> list[ImageUse]:
    """Drop (as errors) uses of an aliased value that also stands where it is not automated alike.

    Patching an anchored scalar changes every alias of it, so it may change only when every
    place that reaches it is an automated field with one policy.
    """
    shared = shared_places(doc.text, doc.root, doc.chunk.start)
    at: dict[int, list[ImageUse]] = {}
    for use in uses:
        if use.span.start in shared:
            at.setdefault(use.span.start, []).append(use)
    bad = set()
    for start, group in at.items():
        count, places = shared[start]
        automated = {(u.workload, u.container) for u in group}
        policies = {_rule(u.policy) for u in group}
        if len(automated) >= count and len(policies) == 1:
            continue
        bad.add(start)
        first = group[0]
        more = f" and {count - len(places)} more" if count > len(places) else ""
        problems.append(
            Problem(
                f"{first.file}:{first.line}: {first.image.repository} is a YAML anchor used in "
                f"{count} places ({', '.join(places)}{more}), not all of them automated with one policy "
                f"(automated: {', '.join(sorted({f'{u.workload} {u.container} {u.policy.spec}' for u in group}))}); "
                "left alone: give each container its own value, or automate every place that uses it alike",
                file=first.file,
                image=first.image.repository,
                line=first.line,
            )
        )
    return [u for u in uses if u.span.start not in bad]


def _rule(policy: PolicySpec) -> tuple[str, str | None, str | None]:
    """What a policy decides, apart from where it was written."""
    return policy.spec, policy.filter, policy.extract


def _dedupe(uses: list[ImageUse], problems: list[Problem]) -> list[ImageUse]:
    """One field governed twice (two dialects, or an alias) is kept once, with a warning."""
    seen: dict[tuple[int, int], ImageUse] = {}
    kept = []
    for use in uses:
        key = (use.span.start, use.span.end)
        if use.insert and key[0] == key[1]:  # fields to add at one place are distinct fields
            kept.append(use)
            continue
        first = seen.get(key)
        if first is None:
            seen[key] = use
            kept.append(use)
        elif (first.dialect, _rule(first.policy)) != (use.dialect, _rule(use.policy)):
            problems.append(
                Problem(
                    f"{use.file}:{use.line}: {use.image.repository} is governed by both {first.dialect} "
                    f"({first.container}) and {use.dialect} ({use.container}); using {first.dialect}",
                    file=use.file,
                    image=use.image.repository,
                    line=use.line,
                    severity="warning",
                )
            )
    return kept


def resolve(located: Sequence[Located], locators: Mapping[str, Locator]) -> tuple[list[ImageUse], list[Problem]]:
    """Give resolving locators the facts of the whole tree; return all uses and problems."""
    uses = [u for item in located for u in item.uses]
    problems = [p for item in located for p in item.problems]
    facts = [f for item in located for f in item.facts]
    for name, locator in locators.items():
        if not isinstance(locator, ResolvingLocator):
            continue
        mine = [u for u in uses if u.dialect == name]
        if not mine and not any(f.locator == name for f in facts):
            continue
        uses = [u for u in uses if u.dialect != name]
        for found in locator.resolve(mine, [f for f in facts if f.locator == name]):
            (uses if isinstance(found, ImageUse) else problems).append(found)
    return uses, problems
