"""The pull-request strategy: push a deterministic branch per change set, keep one PR/MR open.

The base is ``--pr-base``, else ``--branch``, else the upstream of the checked-out branch; the
remote is ``--remote`` or that upstream's remote. The checkout itself is not changed: when it
leads the run (``--pr``), the plan is made on a temporary worktree at the fresh head of the base.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from automator.context import Context
from automator.errors import GitError, UsageError
from automator.events.settings import FULL_RUN
from automator.forge.base import Forge
from automator.forge.detect import resolve_target as resolve_forge_target
from automator.forge.ensure import Outcome, Settings, ensure_pull_requests
from automator.forge.settings import PullRequestSettings
from automator.git.writer import WriteOptions
from automator.model import Plan, Update
from automator.report.text import routed_text
from automator.result import PullRequests
from automator.rules.write import pull_request_settings, write_reason
from automator.writeback.branches import branch_writer
from automator.writeback.job import Job

if TYPE_CHECKING:
    from automator.git.workspace import Workspace

TOKEN_VARIABLES = {"github": ("GITHUB_TOKEN", "GH_TOKEN"), "gitlab": ("GITLAB_TOKEN", "CI_JOB_TOKEN")}


class PullRequestWriter:
    name = "pr"
    routes_by_rules = False  # --pr: every update goes to pull requests

    def __init__(self, job: Job) -> None:
        self.job = job

    @contextmanager
    def tree(self) -> Iterator[tuple[Path, Path]]:
        """The fresh head of the base in a temporary worktree: the checkout may be behind (a
        scheduled job never pulls), and a plan made there would keep a stale pull request open
        or fail on a base that already has the update."""
        job = self.job
        writer = branch_writer(job.settings.pull_requests, job.settings.write, job.ctx, job.ws)
        with writer.base_tree() as base:
            yield base, base / job.scan

    @staticmethod
    def check(job: Job, plan: Plan) -> None:
        """Before anything is written: pull requests need a pushed branch, so ``--no-push``
        cannot write the updates that rules route to them (say which rule routes them), and a
        remote whose forge cannot be told (a local path, an unknown host) would fail them
        only after the commit part was pushed."""
        if not plan.updates:
            return
        if job.settings.write.push:
            writer = branch_writer(job.settings.pull_requests, job.settings.write, job.ctx, job.ws)
            forge_of(job.settings.pull_requests, job.ws, writer.remote)
            return
        planner = job.planner
        reasons = [write_reason(planner.rules, planner.root, u) if planner.rules else "--pr" for u in plan.updates]
        shown = "; ".join(routed_text(u, why) for u, why in zip(plan.updates[:3], reasons, strict=False))
        more = f" and {len(plan.updates) - 3} more" if len(plan.updates) > 3 else ""
        raise UsageError(
            f"--no-push, but {len(plan.updates)} update(s) go to pull requests, which need a pushed branch: {shown}{more}",
            hint="drop --no-push, or make the rule say write: commit; --dry-run shows where each update goes",
        )

    def write(self, plan: Plan) -> PullRequests:
        job = self.job
        planner = job.planner
        settings = job.settings.pull_requests
        if planner.rules is not None:
            settings = pull_request_settings(settings, plan, planner.rules, planner.root)
        scope = event_scope(job)
        requests = open_pull_requests(settings, job.settings.write, job.ctx, job.ws, job.path, plan, scope=scope)
        return PullRequests(plan, tuple(requests), branches_of(settings, job.scan, plan))


def branches_of(settings: PullRequestSettings, scan: str, plan: Plan) -> tuple[tuple[str, tuple[Update, ...]], ...]:
    """The updates each pull request branch carries, grouped as :func:`ensure_pull_requests`
    groups them: a request that failed did not write its branch's updates."""
    from automator.forge.naming import group_updates

    ensure = ensure_settings(settings, env_path=scan, base="")
    groups = group_updates(plan, env_path=ensure.env_path, template=ensure.template, per=ensure.per, apart=ensure.apart)
    return tuple((group.branch, group.updates) for group in groups)


def event_scope(job: Job) -> frozenset[str] | None:
    """The repositories an event-driven run (``--pushed``, ``--event``) is about; None for a
    full run. The pull requests of other images are none of its business."""
    scope = job.settings.get("events", FULL_RUN).scope
    return scope.repositories if scope is not None else None


def make_forge(kind: str, api_url: str, slug: str, ctx: Context, *, auto_merge_method: str = "merge") -> Forge:
    """The forge client for a project, with the token from the first variable that is set."""
    from automator.forge import forge_class

    variable = next((name for name in TOKEN_VARIABLES[kind] if ctx.get(name)), None)
    token = ctx.get(variable) if variable else None
    return forge_class(kind)(api_url=api_url, slug=slug, token=token, token_variable=variable, auto_merge_method=auto_merge_method)


def ensure_settings(
    settings: PullRequestSettings, *, env_path: str, base: str, message_template: str | None = None, scope: frozenset[str] | None = None
) -> Settings:
    return Settings(
        env_path="" if env_path in ("", ".") else env_path,
        base=base,
        template=settings.branch_template,
        per=settings.per,
        apart=settings.apart,
        labels=settings.labels,
        reviewers=settings.reviewers,
        assignees=settings.assignees,
        draft=settings.draft,
        auto_merge=bool(settings.auto_merge),
        message_template=message_template,
        scope=scope,
    )


def forge_of(settings: PullRequestSettings, ws: Workspace, remote: str):
    """The forge, API base and project of ``remote``, where the pull requests' branches go."""
    configured_url = ws.config.get(f"remote.{remote}.url")
    if configured_url is None:
        raise GitError(f"the checkout has no remote named {remote!r}")
    return resolve_forge_target(configured_url.strip(), kind=settings.forge, api_url=settings.forge_url)


def refuse_dirty(ws: Workspace, scan: str, own_files: Iterable[Path] = ()) -> None:
    """Uncommitted changes in the scanned path are refused: the branch of a pull request is
    built from the committed base, and a dry run would show updates planned from them. The
    run's ``own_files`` (report files, health file, registry cache) are no such changes."""
    from automator.git.clean import own_pathspecs

    dirty = [path for _, path in ws.status(scan, *own_pathspecs(ws.root, own_files), untracked="all")]
    if dirty:
        raise UsageError(
            f"uncommitted changes in {scan} of {ws.root}: {', '.join(dirty[:5])}",
            hint="commit, stash or remove them first; the pull request is built from the committed base",
        )


def open_pull_requests(
    settings: PullRequestSettings, write: WriteOptions, ctx: Context, ws: Workspace, path: Path, plan: Plan, *, scope: frozenset[str] | None = None
) -> list[Outcome]:
    """Ensure the pull requests for ``plan`` (made with ``make_plan(..., scan_path=path)``);
    ``scope``: the repositories of an event-driven run (the PRs of other images are left alone)."""
    scan = ws.relative(path)
    if plan.updates:  # no updates: no branch is built, stale PRs are closed
        refuse_dirty(ws, scan, write.own_files)
    writer = branch_writer(settings, write, ctx, ws)
    forge_target = forge_of(settings, ws, writer.remote)
    forge = make_forge(forge_target.kind, forge_target.api_url, forge_target.slug, ctx, auto_merge_method=settings.auto_merge or "merge")
    ensure = ensure_settings(settings, env_path=scan, base=writer.base, message_template=write.message_template, scope=scope)
    ws.lock()
    try:
        return ensure_pull_requests(forge, writer, plan, ensure)
    finally:
        ws.unlock()
