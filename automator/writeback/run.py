"""A run of the write-back, as one straight sequence: plan, route, write each part, one result.

:func:`run_once` takes the run's settings values (``path``, ``source``, ``rules``, ``write``,
``pull_requests``, ``clone``, ``dry_run``, ``log``) and returns a
:class:`automator.result.RunResult`; it prints nothing, so a command, a scheduler or an event
handler renders the result as it needs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from automator.context import Context
from automator.errors import ConfigError, UsageError
from automator.result import RunResult
from automator.settings import Settings
from automator.tagsource import TagSource, open_tag_source
from automator.writeback import WRITERS
from automator.writeback.job import Job, Planner
from automator.writeback.tidy import close_stale_pull_requests

log = logging.getLogger("automator.run")


def lead_strategy(settings: Settings) -> str:
    """The strategy that leads the run: it says where the plan is made, and gets every update
    that the rules do not route elsewhere."""
    if settings.dry_run:
        return "preview"
    return "pr" if settings.pull_requests.enabled else "commit"


def run_once(settings: Settings, ctx: Context) -> RunResult:
    """One run on the checkout at ``settings.path``, or in a fresh clone of ``--repo``."""
    source = open_tag_source(settings.source, ctx)
    try:
        clone = settings.clone
        if clone.repo:
            from automator.git.clone import cloned

            with cloned(clone.repo, clone.ref, ctx, timeout=settings.write.retry.max_seconds) as ws:
                try:
                    return run_in(ws.root / settings.path, in_clone(settings, ws.root), ctx, source, ws)
                except ConfigError as error:  # a rules file of the clone: named in the repository, not in the clone
                    from automator.rules.load import named_in

                    raise named_in(error, ws.root, _clone_named(settings)) from None
        return run_in(Path(settings.path), settings, ctx, source, None)
    finally:  # a loop or receiver runs again in this process: no thread or socket of this run stays
        close = getattr(source, "close", None)
        if close is not None:
            close()


def in_clone(settings: Settings, root: Path) -> Settings:
    """The settings of a run in the tool's own clone at ``root``: a relative ``--rules`` names
    a file of the clone, as PATH does (an absolute one stays a file of this machine)."""
    file = settings.rules.file
    if file is None or file.is_absolute():
        return settings
    return settings.replace(rules=replace(settings.rules, file=root / file))


def run_in(path: Path, settings: Settings, ctx: Context, source: TagSource, workspace=None) -> RunResult:
    """Plan on the lead strategy's tree, route, write each part; ``workspace`` is the tool's
    own clone (None: the checkout that holds ``path``)."""
    from automator.git.workspace import Workspace

    _check_exists(path, settings, own_clone=workspace is not None)
    ws = workspace or Workspace.open(path)
    path, settings = _flux_automation_defaults(ws.root, path, settings, ws.current_branch)
    from automator.manifest.discover import check_scan_path

    shown = f"{settings.path} in {_clone_named(settings)}" if workspace is not None else None
    check_scan_path(path, ws.root, shown=shown)  # no YAML at all, or a link out of the repository: exit 2
    name = lead_strategy(settings)
    lead_class = WRITERS[name]
    planner = Planner(settings, ctx, source, ws, own_clone=workspace is not None, lead=name, routes_by_rules=lead_class.routes_by_rules)
    job = Job(settings, ctx, ws, path, planner)
    lead = lead_class(job)
    with lead.tree() as (root, scan):
        planner.plan(root, scan)
        for other, part in planner.parts().items():  # every part writable, before anything is written
            WRITERS[other].check(job, part)
        outcomes = [lead.write(planner.part(name))]
    parts = planner.parts()
    rest = [(other, part) for other, part in parts.items() if other != name and part.updates]
    outcomes += [WRITERS[other](job).write(part) for other, part in rest]
    outcomes += close_stale_pull_requests(job, name, {other: part for other, part in parts.items() if part.updates})
    return RunResult(planner.latest, tuple(outcomes), root=ws.root)


def _flux_automation_defaults(root: Path, path: Path, settings: Settings, branch: Callable[[], str | None]) -> tuple[Path, Settings]:
    """A Flux ImageUpdateAutomation covering ``path`` gives defaults (docs/fluxv2.md); ``branch``
    tells the branch the run is on (asked only when the automation does not say)."""
    from automator.manifest.fluxv2.automation import run_defaults

    path, settings, notes = run_defaults(root, path, settings, branch)
    for note in notes:
        log.info("%s", note) if note.endswith("(command-line options win)") else log.warning("%s", note)
    return path, settings


def _check_exists(path: Path, settings: Settings, *, own_clone: bool) -> None:
    if path.exists():
        return
    if own_clone:
        raise UsageError(f"{settings.path} does not exist in {_clone_named(settings)}", hint="PATH is relative to the repository root")
    raise UsageError(f"{path} does not exist")


def _clone_named(settings: Settings) -> str:
    """The repository of ``--repo`` as messages name it: its URL without credentials, and the ref."""
    from automator.git.credentials import split_url_credentials

    clone = settings.clone
    return split_url_credentials(clone.repo)[0] + (f" ({clone.ref})" if clone.ref else "")
