"""GitHub Actions glue: masking, annotations, step summary and step outputs.

``publish`` runs at the end of ``automator run`` (and ``scan``/``update``) whenever
``GITHUB_ACTIONS=true``, so a plain ``run: automator run .`` step gets it too. The action's
entry is :mod:`automator.ci.action`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from automator.context import Context
from automator.errors import registered_secrets
from automator.model import Change, Plan
from automator.report import markdown, records, workflow

_masked: set[str] = set()


def mask_secrets(stream: TextIO | None = None) -> None:
    """``::add-mask::`` every registered secret not masked yet (before it could be printed)."""
    fresh = registered_secrets() - _masked
    for line in workflow.mask_commands(fresh):
        print(line, file=stream or sys.stdout)
    _masked.update(fresh)


def _prefix(root: Path | None, ctx: Context) -> str:
    workspace = ctx.get("GITHUB_WORKSPACE")
    if root is None or not workspace:
        return ""
    try:
        relative = Path(root).resolve().relative_to(Path(workspace).resolve())
    except ValueError:
        return ""
    return "" if str(relative) == "." else relative.as_posix()


def publish(ctx: Context, plan: Plan, change: Change | None = None, *, root: Path | None = None, stream: TextIO | None = None) -> None:
    out = stream or sys.stdout
    mask_secrets(out)
    for line in workflow.annotations(plan, prefix=_prefix(root, ctx)):
        print(line, file=out)
    out.flush()
    summary = ctx.get("GITHUB_STEP_SUMMARY")
    if summary:
        workflow.append_step_summary(summary, markdown.render_markdown(plan, change))
    outputs = ctx.get("GITHUB_OUTPUT")
    if outputs:
        workflow.write_outputs(outputs, records.run_outputs(plan, change))
