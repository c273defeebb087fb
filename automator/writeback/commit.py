"""The commit strategy: one commit for the routed updates, pushed with rebase-retry.

The plan is made inside the commit session (the checkout locked, recovered and moved to the
fresh head of the target), and made again whenever a conflicting push dropped the commit.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

from automator.git.writer import Record, RecordingApply, commit_session
from automator.model import Plan, Problem
from automator.result import Committed
from automator.writeback.job import Job


class CommitWriter:
    name = "commit"
    routes_by_rules = True  # updates whose rule says ``write: pr`` go to pull requests

    def __init__(self, job: Job) -> None:
        self.job = job
        self.session = None
        self.problems: list[Problem] = []

    @contextmanager
    def tree(self) -> Iterator[tuple[Path, Path]]:
        job = self.job
        with commit_session(job.path, job.settings.write, ctx=job.ctx, workspace=job.ws) as session:
            self.session = session
            try:
                yield job.ws.root, job.path
            finally:
                self.session = None

    @staticmethod
    def check(job: Job, plan: Plan) -> None:
        """Nothing this strategy could not write."""

    def write(self, plan: Plan) -> Committed:
        if self.session is None:
            raise RuntimeError("the commit strategy writes inside its tree(): it leads the run or does not write")
        replan = partial(self.job.planner.replan, self.name)
        result = self.session.execute(replan, RecordingApply(self.apply), plan)
        return Committed(result.plan, result.change, result.files, result.pushed, result.replans, tuple(self.problems))

    def apply(self, plan: Plan, record: Record | None) -> list[str]:
        """Patch the files (each recorded in the run marker before it is replaced; in the
        tool's own clone, which keeps no marker, overwritten in place); the files that could be
        patched are still committed."""
        from automator import run as pipeline

        self.problems.clear()
        ws = self.job.ws
        try:
            return list(pipeline.apply_plan(ws.root, plan, before_write=record, in_place=ws.own_clone))
        except pipeline.ApplyError as error:
            self.problems.extend(error.problems)
            return list(error.changed)
