"""Pull requests of a run that no longer sends updates to them: closed when the base has them.

A commit run whose rules once routed updates to pull requests (``write: pr``, promotions) may
have none for them now: the base already has the update (merged, or bumped by hand), or the
rules now say ``write: commit``. The pull-request strategy then writes an empty part, which
closes the environment's stale pull requests (comment, close, delete the branch) and keeps
the others, as a ``--pr`` run does. Only a run with rules (a rules file) looks, and only when
the remote still holds a branch of the environment's pull requests (one ``git ls-remote``)
does it ask the forge: a run that never opened a pull request makes no forge request and needs
no forge token, and a run without rules asks git nothing more.
"""

from __future__ import annotations

import logging

from automator.errors import AutomatorError
from automator.forge.naming import branch_prefix
from automator.model import Plan
from automator.result import PullRequests
from automator.writeback import WRITERS
from automator.writeback.job import Job

log = logging.getLogger(__name__)
STRATEGY = "pr"


def has_rules(job: Job) -> bool:
    """Whether the run has rules, which alone send updates to pull requests without ``--pr``."""
    rules = job.planner.rules
    return rules is not None and bool(rules.rules.rules)


def has_pull_request_branches(job: Job) -> bool:
    """Whether the remote holds a branch of this environment's pull requests."""
    from automator.writeback.branches import branch_writer

    settings = job.settings.pull_requests
    prefix = branch_prefix(settings.branch_template, job.scan)
    if not prefix:
        return False
    try:
        return bool(branch_writer(settings, job.settings.write, job.ctx, job.ws).branches_under(prefix))
    except AutomatorError as error:  # no remote to push to: no pull requests either
        log.debug("no pull request branches to look for: %s", error)
        return False


def close_stale_pull_requests(job: Job, lead: str, parts: dict[str, Plan]) -> list[PullRequests]:
    """The outcome of closing the stale pull requests of a commit run with no updates for
    pull requests (none when there was nothing to close or keep)."""
    if lead != "commit" or STRATEGY in parts or not job.settings.write.push or not has_rules(job):
        return []
    if not has_pull_request_branches(job):
        return []
    empty = job.planner.part(STRATEGY)
    try:
        outcome = WRITERS[STRATEGY](job).write(empty)
    except AutomatorError as error:
        from automator.forge.ensure import Outcome

        log.error("closing stale pull requests: %s", error)
        outcome = PullRequests(empty, (Outcome("failed", "(closing stale pull requests)", error=str(error)),))
    return [outcome] if outcome.requests else []
