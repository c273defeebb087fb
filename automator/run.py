"""The pipeline: discover -> locate -> list tags -> select -> plan -> patch -> write.

This is the only module that wires I/O (files, the tag source) to the pure core
(:mod:`automator.manifest.locate`, :mod:`automator.plan`, :mod:`automator.manifest.patch`).
One bad file, image or tag list never stops the others: it becomes a :class:`Problem`.
"""

from __future__ import annotations

import itertools
import os
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from automator.errors import AutomatorError, ManifestError, MetadataDeferred
from automator.events.source import PushedScope, PushedTagSource
from automator.manifest.argocd.locate import DIALECT as ARGOCD_DIALECT
from automator.manifest.argocd.locate import bind_apps
from automator.manifest.argocd.tree import SCREENS as ARGOCD_SCREENS
from automator.manifest.argocd.tree import apps_dirs_of, within
from automator.manifest.argocd.tree import read_tree as read_argocd_tree
from automator.manifest.discover import (
    candidate_text,
    manifest_paths,
    names_under,
    read_candidate,
    read_text,
    relative_name,
    walk_manifests,
)
from automator.manifest.fluxv2.locate import FLUX_V2_DIALECTS, bind_catalog
from automator.manifest.fluxv2.tree import SCREENS as FLUX_SCREENS
from automator.manifest.fluxv2.tree import read_catalog
from automator.manifest.locate import Located, Locator, all_markers, locate_text, resolve
from automator.manifest.locators import LOCATORS
from automator.manifest.patch import patch_text
from automator.manifest.scope import outside_path_as_warnings
from automator.manifest.treefiles import NOT_WALKED, TreeFiles
from automator.manifest.typos import STRICT_CODES
from automator.manifest.typos import strict as strict_problems
from automator.manifest.writefile import write_atomically, write_in_place
from automator.model import Plan, Problem, Update
from automator.parallel import fewer_collections, parallel_map
from automator.plan import (
    build_policies,
    digests_wanted,
    hold_for_metadata,
    hold_for_unread_metadata,
    merge_metadata,
    metadata_wanted,
    plan_updates,
)
from automator.tagsource import TagSource

Progress = Callable[[str], None]
BeforeWrite = Callable[[Path, bytes], None]  # told (path, new bytes) before a file is replaced


class ApplyError(ManifestError):
    """Some files could not be patched; the others were written (see ``changed``)."""

    def __init__(self, changed: list[str], problems: list[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.changed = changed
        self.problems = problems


Locators = Mapping[str, Locator]

# Files to parse (or to patch) before the work goes to a pool of forked workers. A pool never
# saves CPU time (forking, and sending each result back, cost more), only wall time on several
# cores; a file with automation is parsed in about a third of a millisecond, so below this the
# pool costs more than the wall time it saves.
POOL_MIN_FILES = 2000


def locate_tree(
    root: Path,
    scan_path: Path,
    progress: Progress | None = None,
    locators: Locators = LOCATORS,
    screen: tuple[str, ...] = (),
    files: TreeFiles | None = None,
) -> list[Located]:
    """Read every candidate file once and locate its automated fields (texts are not kept).

    ``screen`` (an event-driven run): only files that also hold one of these substrings are
    parsed; the others cannot concern them. ``files``: the tree as the plan read it once
    (:class:`TreeFiles`); a file it screened out is not read again."""
    located = []
    with _shared(locators, screen, files) as key:
        scan = Path(scan_path)
        if files is not None and os.fspath(scan) == files.root:
            paths = files.paths
        elif scan.is_dir():
            paths = walk_manifests(os.fspath(scan))  # the same spelling as the shared read's
        else:
            paths = [str(path) for path in manifest_paths(scan)]
        general, restricted = _PASSES[key][3:]
        skip = files.screened_out(general) if files is not None else frozenset()
        name_of = names_under(root)
        items = []
        for path in paths:
            if path in skip and (not restricted or name_of(path) not in restricted):
                continue  # read once already: it holds no marker
            items.append((key, path, name_of(path)))
        with fewer_collections():
            for count, found in enumerate(parallel_map(_locate_file, items, min_items=POOL_MIN_FILES), 1):
                if found is not None:
                    located.append(found)
                if progress is not None and count % 1000 == 0:
                    progress(f"read {count} of {len(items)} files")
    return located


def _file_markers(locators: Locators, name: str) -> tuple[str, ...]:
    """The markers that matter for ``name``: a locator with ``files`` reads only those files."""
    return tuple(dict.fromkeys(
        m for loc in locators.values()
        if getattr(loc, "files", None) is None or name in loc.files  # type: ignore[attr-defined]
        for m in loc.markers
    ))


# Locators (and screens, and the tree as read once) of the passes under way, by key: forked
# workers inherit them, nothing is pickled.
_PASSES: dict[int, tuple] = {}
_pass_keys = itertools.count()


@contextmanager
def _shared(locators: Locators, screen: tuple[str, ...] = (), files: TreeFiles | None = None) -> Iterator[int]:
    key = next(_pass_keys)
    general = tuple(dict.fromkeys(
        m for loc in locators.values() if getattr(loc, "files", None) is None for m in loc.markers))
    # the files some locator reads in particular (its markers are not the general ones)
    restricted = frozenset(name for loc in locators.values() for name in getattr(loc, "files", None) or ())
    _PASSES[key] = (locators, screen, files, general, restricted)
    try:
        yield key
    finally:
        del _PASSES[key]


def _locate_file(item: tuple[int, str, str]) -> Located | None:
    key, path, name = item
    locators, screen, files, general, restricted = _PASSES[key]
    markers = _file_markers(locators, name) if name in restricted else general
    try:
        found = files.lookup(path, markers) if files is not None else NOT_WALKED
        if found is None:
            return None
        if found is NOT_WALKED:
            text = read_candidate(Path(path), markers)
        elif isinstance(found, OSError):
            raise ManifestError(f"{path}: cannot read ({found.strerror})")
        else:
            text = candidate_text(path, found, markers)
    except ManifestError as error:
        return Located(name, problems=(Problem(str(error).replace(path, name, 1), file=name),))
    if text is None:
        return None
    if not _utf8_name(name):  # reports and commits could not name it
        shown = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        return Located(shown, problems=(Problem(f"{shown}: the file name is not UTF-8; not read (rename the file)", file=shown),))
    if screen and not any(part in text for part in screen):
        return None
    return locate_text(name, text, locators)


def _utf8_name(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def make_plan(
    root: Path,
    source: TagSource,
    *,
    scan_path: Path | None = None,
    rules: object = None,
    progress: Progress | None = None,
    pushed: PushedScope | None = None,
    argocd_apps: tuple[Path, ...] = (),
    strict: bool = False,
    own_clone: bool = False,
    commits: bool = False,
) -> Plan:
    """Everything that should change under ``root`` (or ``scan_path`` inside it), and why.

    ``rules`` is an :class:`automator.rules.RulesRuntime` (``RulesRuntime.load`` reads the
    rules file); without one, no rules apply but annotations (hold, follow) still do.
    ``pushed`` makes it an event-driven plan: only the uses of the pushed repositories, each
    choosing between its current tag and the pushed ones, with no tag listing.
    ``strict`` makes typo warnings errors (:func:`automator.manifest.typos.strict`).
    ``own_clone``: ``root`` is the tool's own clone, where every file is tracked and none is
    marked skip-worktree, so git is asked only about the files the plan would create.
    ``commits``: the plan is for a run that commits it, so files in a submodule or another
    repository nested in the tree are left alone too (``update`` patches them: you commit
    them in their own repository).
    """
    root = Path(root)
    if rules is None:
        from automator.rules import RulesRuntime

        rules = RulesRuntime.empty(root)
    extra = rules.locator(root)
    # one walk and one read of the tree for the three passes: every file is read once, and only
    # the files holding a marker, an annotation key or a first pass's API group are kept
    files = TreeFiles.read(root, (*all_markers(LOCATORS), *(extra.markers if extra is not None else ()),
                                  *FLUX_SCREENS, *ARGOCD_SCREENS))
    # first pass: the Flux ImagePolicy/ImageRepository objects of the whole tree under root
    catalog = read_catalog(root, files=files)
    locators = bind_catalog(LOCATORS, catalog)
    if extra is not None:
        locators = {**locators, extra.name: extra}
    # Argo CD Applications and their write-back targets
    argo = read_argocd_tree(root, argocd_apps, files=files)
    locators = bind_apps(locators, argo.targets)
    screen = pushed.screen if pushed is not None else ()
    scan = Path(scan_path) if scan_path is not None else root
    located = locate_tree(root, scan, progress, locators, screen, files)
    rules.note_read_files(files.kept)  # hold/follow/soak are looked up without reading files again
    del files
    uses, problems = resolve(located, locators)
    uses = [*uses, *within(root, scan_path, argo.insertions)]  # override files to create
    if pushed is not None:  # an event run: only the uses of the pushed repositories
        uses = pushed.uses(uses)
    uses, skipped = committable(root, uses, own_clone=own_clone, nested=commits)
    prefix = relative_name(scan, root) if scan != root else "."
    outside = outside_path_as_warnings([*catalog.problems, *argo.problems], prefix)  # objects read repo-wide
    problems = [*outside, *problems, *skipped]
    if strict:
        uses, problems = leave_files_with_typos(uses, strict_problems(problems))
    narrow = None
    if pushed is not None:
        source, narrow = PushedTagSource(pushed, uses, source), pushed.narrow
    policies = build_policies(uses)
    repositories = sorted({use.image.repository for use in uses})
    if progress is not None:
        progress(f"{len(uses)} automated images in {len(repositories)} repositories")
    if progress is not None and hasattr(source, "progress"):  # a registry reports its listing too
        source.progress = progress
    try:
        tags = dict(source.list_tags(repositories)) if repositories else {}
    except AutomatorError as error:  # a source must not raise, but one that does stops nothing else
        tags = dict.fromkeys(repositories, error)
    deferred: dict[str, int] = {}  # repository -> tags whose metadata a later run reads
    unread: dict[str, AutomatorError] = {}  # repository -> why the metadata of some of its tags could not be read
    for wanted_by in (metadata_wanted, digests_wanted):
        for repository, wanted in wanted_by(uses, policies, tags, narrow).items():
            try:
                found = source.metadata(repository, wanted)
            except AutomatorError as error:
                found = dict.fromkeys(wanted, error)
            late = sum(isinstance(value, MetadataDeferred) for value in found.values())
            if late:
                deferred[repository] = deferred.get(repository, 0) + late
            failed = next((v for v in found.values() if isinstance(v, AutomatorError) and not isinstance(v, MetadataDeferred)), None)
            if failed is not None:
                unread.setdefault(repository, failed)
            tags[repository] = merge_metadata(tags[repository], found)
    if deferred:
        uses, waiting = hold_for_metadata(uses, policies, deferred)
        problems += waiting
    if unread:
        uses, failing = hold_for_unread_metadata(uses, policies, unread)
        problems += failing
    with fewer_collections():
        plan = plan_updates(uses, tags, policies, problems, rules.bind(root, source), narrow)
    rules.save()
    return plan


def leave_files_with_typos(uses: list, problems: list[Problem]) -> tuple[list, list[Problem]]:
    """``--strict``: no image of a file with a typo error moves (the typo may be what moves it, as
    an annotation naming no container leaves that container on ``glob:*``); each error says so."""
    held = {p.file for p in problems if p.code in STRICT_CODES and p.severity == "error" and p.file}
    noted = [replace(p, message=f"{p.message}; --strict: {p.file} left unchanged") if p.file in held and p.code in STRICT_CODES else p
             for p in problems]
    return [u for u in uses if u.file not in held], noted


def committable(root: Path, uses: list, *, own_clone: bool = False, nested: bool = True) -> tuple[list, list[Problem]]:
    """Uses in files git would commit, and a notice per file it would not (ignored,
    skip-worktree, and with ``nested`` in a nested repository): patching those would leave
    the change behind and fail the commit.
    In the tool's own clone only the files to create can be such files (an ignored one)."""
    names = sorted({u.file for u in uses})
    if own_clone:
        names = [name for name in names if not (root / name).exists()]
    if not names:
        return uses, []
    from automator.manifest.discover import uncommittable

    unwanted = uncommittable(root, names, nested=nested)
    if not unwanted:
        return uses, []
    notices = {
        u.file: Problem(f"{u.file}: {unwanted[u.file]}; not patched", file=u.file, severity="warning")
        for u in uses if u.file in unwanted
    }
    return [u for u in uses if u.file not in unwanted], list(notices.values())


def locators_for(root: Path, plan: Plan) -> Locators:
    """The locators that re-locate the plan's files: Flux v2 ones bound to the tree's policies,
    and the rules dialect for images that rules opted in."""
    from automator.rules.optin import locators_for as with_rules_locator

    base = LOCATORS
    if any(update.use.dialect in FLUX_V2_DIALECTS for update in plan.updates):
        base = bind_catalog(LOCATORS, read_catalog(Path(root)))
    argo = [u.use for u in plan.updates if u.use.dialect == ARGOCD_DIALECT]
    if argo:
        base = bind_apps(base, read_argocd_tree(Path(root), apps_dirs_of(Path(root))).targets)
    return with_rules_locator(plan, base)


def _by_file(plan: Plan) -> dict[str, list[Update]]:
    by_file: dict[str, list[Update]] = defaultdict(list)
    for update in plan.updates:
        by_file[update.use.file].append(update)
    return by_file


def _patch_file(root: Path, name: str, updates: list[Update], locators: Locators) -> tuple[str, str, str] | Problem:
    try:
        creates = all(u.use.insert and u.use.span.start == 0 for u in updates) and not (root / name).exists()
        text = "" if creates else read_text(root / name)  # an Argo CD override file to create
        return name, text, patch_text(name, text, updates, locators)
    except AutomatorError as error:
        message = str(error) if str(error).startswith(name) else f"{name}: {error}"
        return Problem(f"{message}; file left unchanged", file=name)


def patched_files(root: Path, plan: Plan) -> Iterator[tuple[str, str, str] | Problem]:
    """For each file of the plan, ``(name, old text, new text)`` proven safe, or a Problem."""
    by_file = _by_file(plan)
    locators = locators_for(Path(root), plan) if by_file else LOCATORS
    for name, updates in sorted(by_file.items()):
        yield _patch_file(Path(root), name, updates, locators)


def _write_file(item: tuple[int, Path, str, list[Update], BeforeWrite | None, bool]) -> bool | Problem:
    key, root, name, updates, before_write, in_place = item
    patched = _patch_file(root, name, updates, _PASSES[key][0])
    if isinstance(patched, Problem):
        return patched
    _, old, new = patched
    if new == old:
        return False
    try:
        if in_place:
            write_in_place(root / name, new, old)
        else:
            write_atomically(root / name, new, before_write)
    except OSError as error:
        return Problem(f"{name}: cannot write ({error.strerror}); file left unchanged", file=name)
    return True


def write_plan(root: Path, plan: Plan, before_write: BeforeWrite | None = None, *,
               in_place: bool = False) -> tuple[list[str], list[Problem]]:
    """Patch, verify and atomically replace every file of the plan; failures become Problems.
    ``before_write(path, data)`` is told before each file is replaced (the git run marker).
    ``in_place``: overwrite the files instead, in a tree only this run reads (the tool's own
    clone; :func:`automator.manifest.writefile.write_in_place`)."""
    by_file = _by_file(plan)
    changed: list[str] = []
    problems: list[Problem] = []
    with _shared(locators_for(Path(root), plan) if by_file else LOCATORS) as key:
        items = [(key, Path(root), name, updates, before_write, in_place) for name, updates in sorted(by_file.items())]
        outcomes = parallel_map(_write_file, items, min_items=POOL_MIN_FILES, chunksize=16)
        with fewer_collections():
            pairs = list(zip(items, outcomes, strict=True))
        for (_, _, name, _, _, _), outcome in pairs:
            if isinstance(outcome, Problem):
                problems.append(outcome)
            elif outcome:
                changed.append(name)
    return changed, problems


def apply_plan(root: Path, plan: Plan, before_write: BeforeWrite | None = None, *, in_place: bool = False) -> list[str]:
    """Write the plan; return the changed relative paths. Raise :class:`ApplyError` (after
    writing every file that could be written) when some file could not be patched safely."""
    changed, problems = write_plan(root, plan, before_write, in_place=in_place)
    if problems:
        raise ApplyError(changed, problems)
    return changed
