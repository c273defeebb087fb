"""CI glue: what a run leaves behind for the CI system it runs in (GitHub Actions, GitLab CI)."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from automator.context import Context
from automator.model import Change, Plan


def publish(ctx: Context, plan: Plan, change: Change | None = None, *, root: Path | None = None,
            stream: TextIO | None = None, dry_run: bool = False) -> None:
    """Annotations, step summary and outputs when running in GitHub Actions; nothing elsewhere.

    GitLab gets its reports through ``--markdown`` and ``--dotenv`` (artifact files named in
    the job), so nothing is implicit there.
    """
    if ctx.ci == "github":
        from automator.ci import github

        github.publish(ctx, plan, change, root=root, stream=stream, dry_run=dry_run)
