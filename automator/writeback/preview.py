"""``--dry-run``: plan on the checkout as it is, write nothing; show the commit message of what
would be committed, and which updates would go to pull requests, and why. What the run would
refuse before writing (exit 2), the dry run refuses too (:mod:`automator.writeback.preflight`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from automator.git.message import render_message
from automator.git.target import Target
from automator.model import Plan, Update
from automator.result import Preview
from automator.rules.write import by_rules, route, write_reason
from automator.writeback import preflight
from automator.writeback.job import Job


class PreviewWriter:
    name = "preview"
    routes_by_rules = False

    def __init__(self, job: Job) -> None:
        self.job = job
        self.target: Target | None = None

    @contextmanager
    def tree(self) -> Iterator[tuple[Path, Path]]:
        """The checkout as it is, once it passed the checks of the tree the run would plan on."""
        self.target = preflight.check_tree(self.job)
        yield self.job.ws.root, self.job.path

    @staticmethod
    def check(job: Job, plan: Plan) -> None:
        """What the run would refuse of the updates it would put into pull requests."""
        pull_requests = plan.updates if job.settings.pull_requests.enabled else tuple(u for u, _ in _routed_by_rules(job, plan))
        preflight.check_pull_requests(job, Plan(pull_requests, plan.problems, plan.uses))

    def write(self, plan: Plan) -> Preview:
        job = self.job
        routed = self.to_pull_requests(plan)
        committed = Plan(tuple(u for u in plan.updates if not any(u is r for r, _ in routed)), plan.problems, plan.uses)
        branch = preflight.message_branch(job, self.target)
        message = render_message(committed, job.settings.write.message_template, path=job.scan, branch=branch) if committed.updates else ""
        return Preview(plan, message, routed)

    def to_pull_requests(self, plan: Plan) -> tuple[tuple[Update, str], ...]:
        """The updates that a run without ``--dry-run`` would put into pull requests, and why."""
        job = self.job
        if job.settings.pull_requests.enabled:
            return tuple((update, "--pr") for update in plan.updates)
        return _routed_by_rules(job, plan)


def _routed_by_rules(job: Job, plan: Plan) -> tuple[tuple[Update, str], ...]:
    """The updates that rules (``write: pr``) send to pull requests, each with its reason."""
    rules, root = job.planner.rules, job.planner.root
    if rules is None:
        return ()
    to_pr = route(plan, by_rules(rules, root)).get("pr", Plan())
    return tuple((update, write_reason(rules, root, update)) for update in to_pr.updates)
