"""The report files of a run (``--markdown``, ``--dotenv``) and what the CI system is given.

:func:`write_reports` is called once per command, after the plan was written (or not), with
the plan and the change that the run reports; every file is a rendering of those values.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from automator.context import Context
from automator.model import Change, Plan


@dataclass(frozen=True)
class ReportSettings:
    """``json``: stdout carries JSON; ``markdown``: a file or ``-`` (stdout); ``dotenv``: a file."""

    json: bool = False
    markdown: str | None = None
    dotenv: str | None = None


def render_markdown(plan: Plan, change: Change | None) -> str:
    from automator.report import markdown

    return markdown.render_markdown(plan, change)


def render_dotenv(plan: Plan, change: Change | None) -> str:
    from automator.report import dotenv, records

    return dotenv.render_dotenv(records.run_outputs(plan, change))


# The report files: the ReportSettings field that names the file -> its rendering. A new
# report file is one field of ReportSettings, one option, one row here.
REPORT_FILES: dict[str, Callable[[Plan, Change | None], str]] = {
    "markdown": render_markdown,
    "dotenv": render_dotenv,
}


def write_reports(settings: ReportSettings, ctx: Context, plan: Plan, change: Change | None = None, *, root: Path | None = None) -> None:
    """Write the report files asked for (``-``: stdout), and publish to the CI system (GitHub:
    annotations, step summary, outputs). One report that cannot be written stops no other;
    the failures are raised together at the end."""
    from automator import ci
    from automator.report.files import ReportError, write_report

    failed: list[ReportError] = []
    for field_name, render in REPORT_FILES.items():
        target = getattr(settings, field_name)
        if target == "-":
            sys.stdout.write(render(plan, change))
        elif target:
            try:
                write_report(target, render(plan, change))
            except ReportError as error:
                failed.append(error)
    # workflow commands go to stderr when stdout carries JSON (the runner reads both streams)
    ci.publish(ctx, plan, change, root=root, stream=sys.stderr if settings.json else sys.stdout)
    if failed:
        raise ReportError("; ".join(str(error) for error in failed))
