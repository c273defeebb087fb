"""GitHub Actions glue: masking, annotations, step summary and step outputs.

``publish`` runs at the end of ``automator run`` (and ``scan``/``update``) whenever
``GITHUB_ACTIONS=true``, so a plain ``run: automator run .`` step gets it too. The action's
entry is :mod:`automator.ci.action`; it sets ``AUTOMATOR_FAIL_ON_PROBLEMS=false`` for
``fail-on-problems: false``, which turns problem annotations into warnings.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import TextIO

from automator.ci.summary import DRY_RUN_LABEL, Links, render_summary
from automator.context import Context
from automator.errors import registered_secrets
from automator.model import Change, Plan
from automator.report import records, workflow

_masked: set[str] = set()


def mask_secrets(stream: TextIO | None = None) -> None:
    """``::add-mask::`` every registered secret not masked yet (before it could be printed)."""
    fresh = registered_secrets() - _masked
    for line in workflow.mask_commands(fresh):
        print(line, file=stream or sys.stdout)
    _masked.update(fresh)


def workspace_prefix(root: Path | None, ctx: Context) -> str | None:
    """``root`` relative to ``$GITHUB_WORKSPACE`` ("" for the workspace itself); None outside it
    (a clone of another repository), where workspace paths and links would be wrong."""
    workspace = ctx.get("GITHUB_WORKSPACE")
    if root is None or not workspace:
        return None
    try:
        relative = Path(root).resolve().relative_to(Path(workspace).resolve())
    except ValueError:
        return None
    return "" if str(relative) == "." else relative.as_posix()


def links(ctx: Context, prefix: str | None, change: Change | None) -> Links | None:
    """Links to files at the pushed commit (or the pull request's head), else the checkout's."""
    server, repository = ctx.get("GITHUB_SERVER_URL") or "https://github.com", ctx.get("GITHUB_REPOSITORY")
    sha = (change.commit if change and change.commit else None) or ctx.get("GITHUB_SHA")
    if prefix is None or not repository or not sha:
        return None
    return Links(server, repository, sha, prefix)


def problems_as(ctx: Context) -> str:
    """``"warning"`` when problems must not fail the job (``fail-on-problems: false``), else ""."""
    return "warning" if (ctx.get("AUTOMATOR_FAIL_ON_PROBLEMS") or "").strip().lower() == "false" else ""


def step_outputs(plan: Plan, change: Change | None = None, *, dry_run: bool = False) -> dict[str, str]:
    """The step outputs (names as in ``action.yml``): the run's records plus ``dry-run``."""
    return {**records.run_outputs(plan, change), "dry-run": "true" if dry_run else "false"}


def publish(ctx: Context, plan: Plan, change: Change | None = None, *, root: Path | None = None,
            stream: TextIO | None = None, dry_run: bool = False) -> None:
    out = stream or sys.stdout
    mask_secrets(out)
    prefix = workspace_prefix(root, ctx)
    severity = problems_as(ctx)
    shown = plan
    if severity:
        shown = dataclasses.replace(plan, problems=tuple(dataclasses.replace(p, severity=severity) for p in plan.problems))
    for line in workflow.annotations(shown, prefix=prefix or ""):
        print(line, file=out)
    if dry_run:
        print(workflow.command("notice", f"{len(plan.updates)} image update(s) planned; {DRY_RUN_LABEL}",
                               title="automator: dry run"), file=out)
    out.flush()
    summary = ctx.get("GITHUB_STEP_SUMMARY")
    if summary:
        text = render_summary(plan, change, links=links(ctx, prefix, change), dry_run=dry_run, problems_as=severity)
        workflow.append_step_summary(summary, text)
    outputs = ctx.get("GITHUB_OUTPUT")
    if outputs:
        workflow.write_outputs(outputs, step_outputs(plan, change, dry_run=dry_run))
