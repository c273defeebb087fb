"""Check everything the tool reads, without any registry access (``automator validate``).

Annotations and the containers they name, policies (parsed), ``$imagepolicy`` markers
resolved to ImagePolicy/ImageRepository objects of the whole repository, the rules file
against its schema, duplicate keys, SOPS files, aliases and files that carry automation but
do not parse. Strict by design: typo warnings are errors here (:func:`automator.manifest.typos.strict`).

File names are relative to ``root`` (the repository root, or the scanned path outside git),
as in every other command.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from automator.errors import ConfigError
from automator.manifest.scope import outside_path_as_warnings, within
from automator.manifest.typos import strict
from automator.model import ImageUse, Problem
from automator.values import value_type


@value_type
class Validation:
    """What validation found under a path: the automated images and every problem."""

    root: Path
    path: str  # the validated path, relative to root ("." for root itself)
    uses: tuple[ImageUse, ...]
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def ok(self) -> bool:
        return not self.errors


def policy_problems(uses: Sequence[ImageUse]) -> list[Problem]:
    """Every policy that does not parse, once per place it is written."""
    from automator.plan import build_policies

    problems, seen = [], set()
    for use in uses:
        built = build_policies([use])[use.policy]
        if isinstance(built, Exception) and (use.policy.source, use.policy.line, use.policy.spec) not in seen:
            seen.add((use.policy.source, use.policy.line, use.policy.spec))
            where = f"{use.policy.source or use.file}:{use.policy.line or use.line}"
            message = str(built) if getattr(built, "source", None) else f"{where}: policy {use.policy.spec!r}: {built}"
            problems.append(Problem(message, file=use.file, image=use.image.repository, line=use.policy.line or use.line))
    return problems


def relative_to_root(path: Path, root: Path) -> str:
    real, top = os.path.realpath(path), os.path.realpath(root)
    rel = os.path.relpath(real, top)
    return "." if rel == "." else Path(rel).as_posix()


def validate(root: Path, scan_path: Path | None = None, *, rules_file: Path | None = None) -> Validation:
    """Validate ``scan_path`` (default: ``root``) with the ImagePolicies and Argo CD
    Applications of all of ``root``."""
    from automator.manifest.argocd.locate import bind_apps
    from automator.manifest.argocd.tree import read_tree as read_argocd_tree
    from automator.manifest.argocd.tree import within as argocd_within
    from automator.manifest.fluxv2.locate import bind_catalog
    from automator.manifest.fluxv2.tree import read_catalog
    from automator.manifest.locate import resolve
    from automator.manifest.locators import LOCATORS
    from automator.rules import RulesRuntime
    from automator.run import locate_tree

    root = Path(root)
    scan_path = Path(scan_path) if scan_path is not None else root
    prefix = relative_to_root(scan_path, root)
    problems: list[Problem] = []
    try:
        rules = RulesRuntime.load(root, scan_path=scan_path, rules_file=rules_file, cache_dir=None)
    except ConfigError as error:
        source = error.source or ""
        if source and os.path.isabs(source) and within(relative_to_root(Path(source), root), "."):
            rel = relative_to_root(Path(source), root)
            message = str(error).replace(source, rel, 1) if not rel.startswith("../") else str(error)
            source = rel if not rel.startswith("../") else source
        else:
            message = str(error)
        problems.append(Problem(message, file=source, line=error.line))
        rules = RulesRuntime.empty(root)
    catalog = read_catalog(root)
    locators = bind_catalog(LOCATORS, catalog)
    argo = read_argocd_tree(root, ())  # Argo CD Applications, read repository-wide as run does
    locators = bind_apps(locators, argo.targets)
    extra = rules.locator(root)
    if extra is not None:
        locators = {**locators, extra.name: extra}
    located = locate_tree(root, scan_path, None, locators)
    uses, found = resolve(located, locators)
    uses = [*uses, *argocd_within(root, scan_path, argo.insertions)]  # fields to add: files to create, as run plans them
    problems += outside_path_as_warnings([*catalog.problems, *argo.problems], prefix)
    problems += found
    problems += policy_problems(uses)
    return Validation(root, prefix, tuple(uses), tuple(dict.fromkeys(strict(problems))))  # a file every reader failed to read: once
