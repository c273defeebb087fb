"""The report files of a run (``--markdown``, ``--dotenv``) and what the CI system is given.

:func:`write_reports` is called once per command, after the plan was written (or not), with
the plan and the change that the run reports; every file is a rendering of those values.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from automator.context import Context
from automator.model import Change, Plan
from automator.values import value_type


@value_type
class ReportSettings:
    """``json``: stdout carries JSON; ``markdown``, ``dotenv``: a file or ``-`` (stdout);
    ``dry_run``: nothing was written, and every report says so."""

    json: bool = False
    markdown: str | None = None
    dotenv: str | None = None
    dry_run: bool = False

    @property
    def on_stdout(self) -> bool:
        """Whether a report file goes to stdout (``-``): stdout is then that document alone, and
        the command's text goes to stderr."""
        return "-" in (self.markdown, self.dotenv)


def render_markdown(plan: Plan, change: Change | None, dry_run: bool = False) -> str:
    from automator.ci.summary import DRY_RUN_LABEL
    from automator.report import markdown

    title = f"{markdown.DEFAULT_TITLE} — {DRY_RUN_LABEL}" if dry_run else markdown.DEFAULT_TITLE
    return markdown.render_markdown(plan, change, title=title)


def render_dotenv(plan: Plan, change: Change | None, dry_run: bool = False) -> str:
    from automator.report import dotenv, records

    return dotenv.render_dotenv({**records.run_outputs(plan, change), "dry-run": "true" if dry_run else "false"})


# The report files: the ReportSettings field that names the file -> its rendering. A new
# report file is one field of ReportSettings, one option, one row here.
REPORT_FILES: dict[str, Callable[[Plan, Change | None, bool], str]] = {
    "markdown": render_markdown,
    "dotenv": render_dotenv,
}


def write_reports(settings: ReportSettings, ctx: Context, plan: Plan, change: Change | None = None, *,
                  root: Path | None = None, stdout_is_document: bool = False) -> None:
    """Write the report files asked for (``-``: stdout), and publish to the CI system (GitHub:
    annotations, step summary, outputs). One report that cannot be written stops no other;
    the failures are raised together at the end. ``stdout_is_document``: stdout carries
    something else that is read whole (a diff)."""
    from automator import ci
    from automator.report.files import ReportError, write_reports_to

    failed = write_reports_to(
        (getattr(settings, field_name), lambda render=render: render(plan, change, settings.dry_run))
        for field_name, render in REPORT_FILES.items()
    )
    # workflow commands go to stderr when stdout carries a document (JSON, Markdown, dotenv, a diff) that
    # they would cut into; the runner reads both streams
    document = stdout_is_document or settings.json or settings.on_stdout
    ci.publish(ctx, plan, change, root=root, stream=sys.stderr if document else sys.stdout, dry_run=settings.dry_run)
    if failed:
        raise ReportError("; ".join(str(error) for error in failed))
