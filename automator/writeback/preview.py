"""``--dry-run``: plan on the checkout as it is, write nothing, show the commit message."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from automator.git.message import render_message
from automator.model import Plan
from automator.result import Preview
from automator.writeback.job import Job


class PreviewWriter:
    name = "preview"
    routes_by_rules = False

    def __init__(self, job: Job) -> None:
        self.job = job

    @contextmanager
    def tree(self) -> Iterator[tuple[Path, Path]]:
        yield self.job.ws.root, self.job.path

    def write(self, plan: Plan) -> Preview:
        write = self.job.settings.write
        if not plan.updates:
            return Preview(plan)
        return Preview(plan, render_message(plan, write.message_template, path=self.job.scan, branch=write.branch or ""))
