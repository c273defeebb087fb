"""``--dry-run``: plan on the checkout as it is, write nothing; show the commit message of what
would be committed, and which updates would go to pull requests, and why."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from automator.git.message import render_message
from automator.model import Plan, Update
from automator.result import Preview
from automator.rules.write import by_rules, route, write_reason
from automator.writeback.job import Job


class PreviewWriter:
    name = "preview"
    routes_by_rules = False

    def __init__(self, job: Job) -> None:
        self.job = job

    @contextmanager
    def tree(self) -> Iterator[tuple[Path, Path]]:
        yield self.job.ws.root, self.job.path

    @staticmethod
    def check(job: Job, plan: Plan) -> None:
        """Nothing this strategy could not write."""

    def write(self, plan: Plan) -> Preview:
        job = self.job
        routed = self.to_pull_requests(plan)
        committed = Plan(tuple(u for u in plan.updates if not any(u is r for r, _ in routed)), plan.problems, plan.uses)
        write = job.settings.write
        message = render_message(committed, write.message_template, path=job.scan, branch=write.branch or "") if committed.updates else ""
        return Preview(plan, message, routed)

    def to_pull_requests(self, plan: Plan) -> tuple[tuple[Update, str], ...]:
        """The updates that a run without ``--dry-run`` would put into pull requests, and why."""
        job = self.job
        if job.settings.pull_requests.enabled:
            return tuple((update, "--pr") for update in plan.updates)
        rules, root = job.planner.rules, job.planner.root
        if rules is None:
            return ()
        to_pr = route(plan, by_rules(rules, root)).get("pr", Plan())
        return tuple((update, write_reason(rules, root, update)) for update in to_pr.updates)
