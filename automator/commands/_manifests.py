"""What ``scan``, ``update`` and ``explain`` share: their option groups and building the plan."""

from __future__ import annotations

import os
from pathlib import Path

from automator.commands.options import argocd, events, paths, rules, source, strict
from automator.context import Context
from automator.log import progress
from automator.manifest.discover import check_scan_path, scan_root
from automator.model import Plan
from automator.rules.runtime import RulesRuntime
from automator.rules.settings import load_rules
from automator.settings import Settings
from automator.tagsource import open_tag_source

# PATH, where tags come from, the rules, the pushed images of an event-driven run, Argo CD apps,
# --strict
PLAN_OPTIONS = (paths.GROUP, source.GROUP, rules.GROUP, events.GROUP, argocd.GROUP, strict.GROUP)


def root_of(path: Path) -> Path:
    """File names in reports are relative to the repository root (git top level), or to PATH
    (its directory for a file) outside git: the same names in every command."""
    return Path(os.path.realpath(scan_root(path)))


def plan_for(settings: Settings, ctx: Context) -> tuple[Path, Plan]:
    root, plan, _rules = plan_with_rules(settings, ctx)
    return root, plan


def plan_with_rules(settings: Settings, ctx: Context) -> tuple[Path, Plan, RulesRuntime]:
    """The plan for PATH and the rules runtime that made it (its decisions explain it)."""
    root = root_of(settings.path)
    path = check_scan_path(settings.path, root)
    tag_source = open_tag_source(settings.source, ctx)
    from automator.run import make_plan

    runtime = load_rules(settings.rules, root, path)
    with progress(ci=ctx.ci, quiet=settings.log.quiet, no_color=settings.log.no_color) as report_progress:
        apps = settings.argocd.apps_dirs if "argocd" in settings else ()
        plan = make_plan(root, tag_source, scan_path=path, rules=runtime, progress=report_progress,
                         pushed=settings.events.scope, argocd_apps=apps, strict=settings.get("strict", False))
        return root, plan, runtime
