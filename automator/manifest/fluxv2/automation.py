"""Flux ``ImageUpdateAutomation`` objects: the defaults they give ``automator run``.

An ImageUpdateAutomation (``image.toolkit.fluxcd.io``) says which path of the repository
Flux updates (``spec.update.path``), which branch it checks out and pushes
(``spec.git.checkout.ref.branch``, or the ``spec.ref.branch`` of its ``sourceRef`` GitRepository
when it has no checkout; ``spec.git.push.branch``, ``spec.git.push.refspec``) and who commits
(``spec.git.commit.author``). When ``automator run`` is given a path that one of them covers,
these become the run's defaults (command-line options win), so a Flux v2 repository runs with
no extra flags. What Flux does that the Automator does not is said, not guessed:

* ``spec.git.push.branch`` different from the checkout branch, or a ``spec.git.push.refspec``
  (Flux pushes to another branch or ref as well): not supported; nothing is pushed for that
  automation unless ``--branch`` or ``--pr`` says where;
* ``spec.git.commit.messageTemplate`` is a Go template and is not evaluated; the Automator's
  own message is used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from automator.errors import ManifestError
from automator.git.identity import DEFAULT_AUTHOR, Identity
from automator.manifest.discover import names_under, read_bytes, walk_manifests
from automator.manifest.fluxv2.catalog import API_GROUP, DEFAULT_NAMESPACE
from automator.manifest.fluxv2.scope import normalise_path, within
from automator.manifest.fluxv2.sites import to_data
from automator.manifest.fluxv2.tree import is_helm_template
from automator.manifest.yamldoc import compose, split_documents
from automator.values import value_type

KIND = "ImageUpdateAutomation"
KIND_BYTES = KIND.encode()
SOURCE_KIND = "GitRepository"
SOURCE_API_GROUP = "source.toolkit.fluxcd.io/"
SOURCE_KIND_BYTES = SOURCE_KIND.encode()


@value_type
class Automation:
    """What one ImageUpdateAutomation asks of a run (paths relative to the repository root)."""

    key: str  # namespace:name
    file: str
    path: str  # spec.update.path, normalised ('' is the root)
    branch: str | None  # spec.git.checkout.ref.branch (or its GitRepository's spec.ref.branch)
    push_branch: str | None  # spec.git.push.branch
    author_name: str | None
    author_email: str | None
    message_template: str | None
    push_refspec: str | None = None  # spec.git.push.refspec
    source: str | None = None  # namespace:name of the sourceRef GitRepository
    run_branch: str | None = None  # the branch the run is on, for an automation whose checkout is unknown

    @property
    def base_branch(self) -> str | None:
        """The branch Flux checks out; when the tree does not say, the branch the run is on."""
        return self.branch or self.run_branch

    @property
    def pushes_elsewhere(self) -> bool:
        """True when Flux would push to another branch (or ref) than it checks out; never when
        neither the automation nor the run tells which branch that is."""
        base = self.base_branch
        return base is not None and any(target != base for target in self.push_targets)

    @property
    def push_targets(self) -> tuple[str, ...]:
        """Where Flux pushes: ``spec.git.push.branch`` and the destination of ``spec.git.push.refspec``."""
        refspec = refspec_destination(self.push_refspec) if self.push_refspec else None
        return tuple(target for target in (self.push_branch, refspec) if target)

    def notes(self) -> list[str]:
        """What the run does differently from Flux, for the log."""
        said = []
        base, unsupported = self.base_branch, "is not supported; nothing is pushed for it unless --branch or --pr says where"
        if self.pushes_elsewhere and self.push_branch and self.push_branch != base:
            said.append(f"ImageUpdateAutomation {self.key}: pushing to another branch ({self.push_branch}, "
                        f"checked out from {base}) {unsupported}")
        if self.pushes_elsewhere and self.push_refspec and refspec_destination(self.push_refspec) != base:
            said.append(f"ImageUpdateAutomation {self.key}: pushing to the refspec {self.push_refspec} "
                        f"(checked out from {base}) {unsupported}")
        if self.message_template:
            said.append(f"ImageUpdateAutomation {self.key}: its messageTemplate is a Go template and is not evaluated; "
                        "the Automator's own commit message is used")
        return said


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def refspec_destination(refspec: str) -> str:
    """The ref a push refspec writes (``+src:refs/heads/x`` -> ``x``; other refs stay whole)."""
    destination = refspec.removeprefix("+").rpartition(":")[2]
    return destination.removeprefix("refs/heads/")


def automation_of(file: str, data: Any) -> Automation | None:
    """The Automation an object describes (None for anything else)."""
    if not isinstance(data, Mapping) or data.get("kind") != KIND or not str(data.get("apiVersion", "")).startswith(API_GROUP):
        return None
    meta, spec = _mapping(data.get("metadata")), _mapping(data.get("spec"))
    git = _mapping(spec.get("git"))
    author = _mapping(_mapping(git.get("commit")).get("author"))
    namespace = _text(meta.get("namespace")) or DEFAULT_NAMESPACE
    source = _mapping(spec.get("sourceRef"))
    return Automation(
        key=f"{namespace}:{_text(meta.get('name')) or ''}",
        file=file,
        path=normalise_path(_text(_mapping(spec.get("update")).get("path"))),
        branch=_text(_mapping(_mapping(git.get("checkout")).get("ref")).get("branch")),
        push_branch=_text(_mapping(git.get("push")).get("branch")),
        author_name=_text(author.get("name")),
        author_email=_text(author.get("email")),
        message_template=_text(_mapping(git.get("commit")).get("messageTemplate")),
        push_refspec=_text(_mapping(git.get("push")).get("refspec")),
        source=f"{_text(source.get('namespace')) or namespace}:{_text(source.get('name')) or ''}"
        if source.get("kind", SOURCE_KIND) == SOURCE_KIND and "checkout" not in git else None,
    )


def source_branch_of(data: Any) -> tuple[str, str | None] | None:
    """``(namespace:name, spec.ref.branch)`` of a Flux GitRepository (None for anything else)."""
    if not isinstance(data, Mapping) or data.get("kind") != SOURCE_KIND or not str(data.get("apiVersion", "")).startswith(SOURCE_API_GROUP):
        return None
    meta = _mapping(data.get("metadata"))
    key = f"{_text(meta.get('namespace')) or DEFAULT_NAMESPACE}:{_text(meta.get('name')) or ''}"
    return key, _text(_mapping(_mapping(data.get("spec")).get("ref")).get("branch"))


def with_source_branches(automations: Sequence[Automation], branches: Mapping[str, str | None]) -> list[Automation]:
    """Automations without ``spec.git.checkout`` check out their GitRepository's branch (as Flux does)."""
    return [replace(a, branch=branches.get(a.source)) if a.branch is None and a.source in branches else a for a in automations]


def covering(automations: Sequence[Automation], path: str) -> Automation | None:
    """The automation whose ``spec.update.path`` holds ``path`` (the nearest one); for a path
    that holds automations' paths instead (the repository root), the only one inside it."""
    path = normalise_path(path)
    holding = [a for a in automations if within(path, a.path)]
    if holding:
        return max(holding, key=lambda a: len(a.path))
    inside = [a for a in automations if within(a.path, path)]
    return inside[0] if len(inside) == 1 else None


def read_automations(root: Path, paths: Iterable[Path] | None = None) -> list[Automation]:
    """Every ImageUpdateAutomation under ``root`` (files are screened as bytes first)."""
    root = Path(root)
    found, branches = [], {}
    name_of = names_under(root)
    for path in walk_manifests(str(root)) if paths is None else map(str, paths):
        try:
            data = read_bytes(path)
        except OSError:
            continue
        if KIND_BYTES not in data and SOURCE_KIND_BYTES not in data:
            continue
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        name = name_of(path)
        for chunk in split_documents(text):
            if KIND not in chunk.text and SOURCE_KIND not in chunk.text:
                continue
            try:
                root = compose(chunk, chunk.first_line)
            except ManifestError:
                continue
            data = to_data(root)
            if is_helm_template(chunk.text, root, data):  # no object until the chart is rendered
                continue
            automation, source = automation_of(name, data), source_branch_of(data)
            if automation is not None:
                found.append(automation)
            if source is not None:
                branches.setdefault(*source)
    return with_source_branches(found, branches)


def run_defaults(root: Path, path: Path, settings: Any, run_branch: Callable[[], str | None] | None = None) -> tuple[Path, Any, list[str]]:
    """``automator run``'s path and write settings with the covering automation's defaults.

    The scanned path narrows to ``spec.update.path`` when the run was given a directory that
    holds it; ``--branch`` defaults to the checkout branch and ``--author`` to the commit
    author; an automation that pushes to another branch turns pushing off unless ``--branch``
    or ``--pr`` says where. ``run_branch`` tells the branch the run is on, which an automation
    whose checkout branch the tree does not tell is taken to check out (asked only then).
    Returns the path, the settings and what to log.
    """
    try:
        relative = Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return path, settings, []
    found = covering(read_automations(root), relative)
    if found is None:
        return path, settings, []
    if found.branch is None and found.push_targets and run_branch is not None:
        found = replace(found, run_branch=run_branch())
    notes = [f"ImageUpdateAutomation {found.key} ({found.file}) covers {relative or '.'}: "
             "its path, branch and author are the defaults (command-line options win)", *found.notes()]
    write, changes = settings.write, {}
    if write.branch is None and found.branch:
        changes["branch"] = found.branch
    if write.author == DEFAULT_AUTHOR and found.author_name and found.author_email:
        changes["author"] = Identity(found.author_name, found.author_email)
    if found.pushes_elsewhere and write.branch is None and not settings.pull_requests.enabled:
        changes["push"] = False
    scan = path if within(normalise_path(relative), found.path) else Path(root) / found.path
    return scan, settings.replace(write=replace(write, **changes)) if changes else settings, notes
