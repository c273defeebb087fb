"""What every write strategy of a run is given: the run's settings, the checkout, the planner."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from automator.context import Context
from automator.events.settings import FULL_RUN
from automator.git.workspace import Workspace
from automator.log import progress
from automator.model import Plan
from automator.rules.runtime import RulesRuntime
from automator.rules.settings import load_rules
from automator.rules.write import StrategyOf, by_rules, everything_to, route
from automator.settings import Settings
from automator.tagsource import TagSource
from automator.values import value_type


@value_type
class CloneSettings:
    """``--repo URL`` (a shallow clone made for the run, removed after) and ``--ref BRANCH``."""

    repo: str | None = None
    ref: str | None = None


class Planner:
    """Plans the run on a tree, with the rules read afresh (clock, annotations) for every plan,
    and keeps the latest plan and rules; :meth:`parts` routes the latest plan to strategies."""

    def __init__(self, settings: Settings, ctx: Context, source: TagSource, ws: Workspace, *, own_clone: bool, lead: str, routes_by_rules: bool) -> None:
        self.settings, self.ctx, self.source, self.ws = settings, ctx, source, ws
        self.own_clone, self.lead, self.routes_by_rules = own_clone, lead, routes_by_rules
        self.root: Path = ws.root
        self.scan: Path = ws.root
        self.latest = Plan()
        self.rules: RulesRuntime | None = None

    def plan(self, root: Path, scan: Path) -> Plan:
        self.root, self.scan = root, scan
        rules = load_rules(self.settings.rules, root, scan)
        if self.own_clone:  # the tool's own shallow clone: deepen it if a promotion needs history
            rules.unshallow = partial(_unshallow, self.ws, self.settings.write.retry.max_seconds)
        from automator.run import make_plan

        with progress(ci=self.ctx.ci, quiet=self.settings.log.quiet, no_color=self.settings.log.no_color) as report:
            events = self.settings.get("events", FULL_RUN)
            apps = self.settings.argocd.apps_dirs if "argocd" in self.settings else ()
            strict = self.settings.get("strict", False)
            own = self.own_clone and root == self.ws.root  # not a worktree made from it
            self.latest = make_plan(root, self.source, scan_path=scan.resolve(), progress=report, rules=rules,
                                    pushed=events.scope, argocd_apps=apps, strict=strict, own_clone=own, commits=True)
        self.rules = rules
        return self.latest

    def strategy_of(self) -> StrategyOf:
        if self.routes_by_rules and self.rules is not None:
            return by_rules(self.rules, self.root)
        return everything_to(self.lead)

    def parts(self) -> dict[str, Plan]:
        """The latest plan routed: ``{strategy: its updates}`` (the lead's part always there)."""
        empty = Plan(problems=self.latest.problems, uses=self.latest.uses)
        return {self.lead: empty, **route(self.latest, self.strategy_of())}

    def part(self, name: str) -> Plan:
        return self.parts().get(name) or Plan(problems=self.latest.problems, uses=self.latest.uses)

    def replan(self, name: str) -> Plan:
        """Plan again on the same tree (after a conflict) and return strategy ``name``'s part."""
        self.plan(self.root, self.scan)
        return self.part(name)


def _unshallow(ws: Workspace, timeout: float) -> bool:
    deadline = f"the --retry-timeout deadline of {timeout:g} s"
    return ws.network("fetch", "--quiet", "--unshallow", timeout=timeout, what="git fetch --unshallow", deadline=deadline)[0] == 0


@value_type
class Job:
    """One run of the write-back: its settings, the checkout, the scanned path, the planner."""

    settings: Settings
    ctx: Context
    ws: Workspace
    path: Path
    planner: Planner

    @property
    def scan(self) -> str:
        """The scanned path relative to the repository root."""
        return self.ws.relative(self.path)
