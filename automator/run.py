"""The pipeline: discover -> locate -> list tags -> select -> plan -> patch -> write.

This is the only module that wires I/O (files, the tag source) to the pure core
(:mod:`automator.manifest.locate`, :mod:`automator.plan`, :mod:`automator.manifest.patch`).
One bad file, image or tag list never stops the others: it becomes a :class:`Problem`.
"""

from __future__ import annotations

import os
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from automator.errors import AutomatorError, ManifestError
from automator.manifest.discover import manifest_paths, read_candidate, read_text
from automator.manifest.fluxv2_locate import FLUX_V2_DIALECTS, bind_catalog
from automator.manifest.fluxv2_tree import read_catalog
from automator.manifest.locate import Located, Locator, all_markers, locate_text, resolve
from automator.manifest.locators import LOCATORS
from automator.manifest.patch import patch_text
from automator.model import Plan, Problem, Update
from automator.plan import (
    build_policies,
    digests_wanted,
    merge_metadata,
    metadata_wanted,
    plan_updates,
)
from automator.tagsource import TagSource

Progress = Callable[[str], None]


class ApplyError(ManifestError):
    """Some files could not be patched; the others were written (see ``changed``)."""

    def __init__(self, changed: list[str], problems: list[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.changed = changed
        self.problems = problems


def relative_name(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def locate_tree(
    root: Path,
    scan_path: Path,
    progress: Progress | None = None,
    locators: Mapping[str, Locator] = LOCATORS,
) -> list[Located]:
    """Read every candidate file once and locate its automated fields (texts are not kept)."""
    markers = all_markers(locators)
    located = []
    for count, path in enumerate(manifest_paths(scan_path), 1):
        name = relative_name(path, root)
        try:
            text = read_candidate(path, markers)
        except ManifestError as error:
            located.append(Located(name, problems=(Problem(str(error), file=name),)))
            continue
        if text is not None:
            located.append(locate_text(name, text, locators))
        if progress is not None and count % 1000 == 0:
            progress(f"read {count} files")
    return located


def make_plan(
    root: Path,
    source: TagSource,
    *,
    scan_path: Path | None = None,
    rules: object = None,
    progress: Progress | None = None,
) -> Plan:
    """Everything that should change under ``root`` (or ``scan_path`` inside it), and why.

    ``rules`` is an :class:`automator.rules.RulesRuntime` (``RulesRuntime.load`` reads the
    rules file); without one, no rules apply but annotations (hold, follow) still do.
    """
    root = Path(root)
    if rules is None:
        from automator.rules import RulesRuntime

        rules = RulesRuntime.empty(root)
    # first pass: the Flux ImagePolicy/ImageRepository objects of the whole checkout
    catalog = read_catalog(root)
    locators = bind_catalog(LOCATORS, catalog)
    extra = rules.locator(root)
    if extra is not None:
        locators = {**locators, extra.name: extra}
    located = locate_tree(root, Path(scan_path) if scan_path is not None else root, progress, locators)
    uses, problems = resolve(located, locators)
    problems = [*catalog.problems, *problems]
    policies = build_policies(uses)
    repositories = sorted({use.image.repository for use in uses})
    if progress is not None:
        progress(f"{len(uses)} automated images in {len(repositories)} repositories")
    try:
        tags = dict(source.list_tags(repositories)) if repositories else {}
    except AutomatorError as error:  # a source must not raise, but one that does stops nothing else
        tags = dict.fromkeys(repositories, error)
    for repository, wanted in metadata_wanted(uses, policies, tags).items():
        try:
            found = source.metadata(repository, wanted)
        except AutomatorError as error:
            found = dict.fromkeys(wanted, error)
        tags[repository] = merge_metadata(tags[repository], found)
    for repository, wanted in digests_wanted(uses, policies, tags).items():
        try:
            found = source.metadata(repository, wanted)
        except AutomatorError as error:
            found = dict.fromkeys(wanted, error)
        tags[repository] = merge_metadata(tags[repository], found)
    plan = plan_updates(uses, tags, policies, problems, rules.bind(root, source))
    rules.save()
    return plan


def locators_for(root: Path, plan: Plan) -> Mapping[str, Locator]:
    """The locators that re-locate the plan's files: Flux v2 ones bound to the tree's policies."""
    if not any(update.use.dialect in FLUX_V2_DIALECTS for update in plan.updates):
        return LOCATORS
    return bind_catalog(LOCATORS, read_catalog(Path(root)))


def patched_files(root: Path, plan: Plan) -> Iterator[tuple[str, str, str] | Problem]:
    """For each file of the plan, ``(name, old text, new text)`` proven safe, or a Problem."""
    root = Path(root)
    by_file: dict[str, list[Update]] = defaultdict(list)
    for update in plan.updates:
        by_file[update.use.file].append(update)
    from automator.rules.optin import locators_for as with_rules_locator

    locators = with_rules_locator(plan, locators_for(root, plan) if by_file else LOCATORS)
    for name in sorted(by_file):
        try:
            text = read_text(root / name)
            yield name, text, patch_text(name, text, by_file[name], locators)
        except AutomatorError as error:
            message = str(error) if str(error).startswith(name) else f"{name}: {error}"
            yield Problem(f"{message}; file left unchanged", file=name)


def write_plan(root: Path, plan: Plan) -> tuple[list[str], list[Problem]]:
    """Patch, verify and atomically replace every file of the plan; failures become Problems."""
    changed: list[str] = []
    problems: list[Problem] = []
    for item in patched_files(root, plan):
        if isinstance(item, Problem):
            problems.append(item)
            continue
        name, old, new = item
        if new == old:
            continue
        try:
            write_atomically(Path(root) / name, new)
            changed.append(name)
        except OSError as error:
            problems.append(Problem(f"{name}: cannot write ({error.strerror}); file left unchanged", file=name))
    return changed, problems


def apply_plan(root: Path, plan: Plan) -> list[str]:
    """Write the plan; return the changed relative paths. Raise :class:`ApplyError` (after
    writing every file that could be written) when some file could not be patched safely."""
    changed, problems = write_plan(root, plan)
    if problems:
        raise ApplyError(changed, problems)
    return changed


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` via a temporary file in the same directory, keeping the mode."""
    target = path.resolve()
    mode = target.stat().st_mode & 0o7777
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        os.replace(temp, target)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise
