"""What ``scan``, ``update`` and ``explain`` share: their option groups and building the plan."""

from __future__ import annotations

from pathlib import Path

from automator.commands.options import argocd, events, paths, rules, source
from automator.context import Context
from automator.errors import UsageError
from automator.log import progress
from automator.model import Plan
from automator.rules.runtime import RulesRuntime
from automator.rules.settings import load_rules
from automator.settings import Settings
from automator.tagsource import open_tag_source

# PATH, where tags come from, the rules, the pushed images of an event-driven run, Argo CD apps
PLAN_OPTIONS = (paths.GROUP, source.GROUP, rules.GROUP, events.GROUP, argocd.GROUP)


def root_of(path: Path) -> Path:
    """File names in reports are relative to PATH (the file name itself when PATH is a file)."""
    return path if path.is_dir() else path.parent


def plan_for(settings: Settings, ctx: Context) -> tuple[Path, Plan]:
    root, plan, _rules = plan_with_rules(settings, ctx)
    return root, plan


def plan_with_rules(settings: Settings, ctx: Context) -> tuple[Path, Plan, RulesRuntime]:
    """The plan for PATH and the rules runtime that made it (its decisions explain it)."""
    path: Path = settings.path
    if not path.exists():
        raise UsageError(f"{path}: no such file or directory")
    tag_source = open_tag_source(settings.source, ctx)
    root = root_of(path)
    from automator.run import make_plan

    runtime = load_rules(settings.rules, root, path)
    with progress(ci=ctx.ci, quiet=settings.log.quiet, no_color=settings.log.no_color) as report_progress:
        apps = settings.argocd.apps_dirs if "argocd" in settings else ()
        plan = make_plan(root, tag_source, scan_path=path, rules=runtime, progress=report_progress,
                         pushed=settings.events.scope, argocd_apps=apps)
        return root, plan, runtime
