"""The result of a run, as one value: what was planned, what each write strategy did, what failed.

A run (``automator run``) plans once, routes the plan's updates to write strategies and keeps
one outcome per strategy that wrote: :class:`Preview` (``--dry-run``), :class:`Committed`
(one commit, pushed with rebase-retry) and :class:`PullRequests` (one per change set).
:class:`RunResult` holds them; the text, JSON, Markdown, dotenv, workflow-command and
step-output reports are renderings of it (``automator/report/``), none of which plans again.
"""

from __future__ import annotations

from dataclasses import field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from automator.errors import ExitCode
from automator.model import Change, ImageUse, Plan, Problem, Update
from automator.values import value_type

if TYPE_CHECKING:
    from automator.forge.ensure import Outcome as RequestOutcome


@value_type
class Preview:
    """``--dry-run``: the plan, the commit message its committed part would get, and the
    updates that would go to pull requests instead, each with the reason (``--pr``, or the
    rule that says ``write: pr``); nothing written."""

    plan: Plan
    message: str = ""
    to_pull_requests: tuple[tuple[Update, str], ...] = ()

    @property
    def written(self) -> tuple[Update, ...]:
        return self.plan.updates

    @property
    def reported(self) -> tuple[Update, ...]:
        return self.plan.updates

    @property
    def change(self) -> Change | None:
        return None


@value_type
class Committed:
    """The commit step: the plan finally committed (after any re-plans), the commit (None when
    nothing changed), the files, whether it was pushed, and files that could not be patched."""

    plan: Plan
    change: Change | None = None
    files: tuple[str, ...] = ()
    pushed: bool = False
    replans: int = 0
    problems: tuple[Problem, ...] = ()

    @property
    def written(self) -> tuple[Update, ...]:
        return self.plan.updates if self.change else ()

    @property
    def reported(self) -> tuple[Update, ...]:
        return self.plan.updates


@value_type
class PullRequests:
    """The pull/merge requests ensured for a plan: one outcome per branch (created, updated,
    unchanged, closed, kept or failed), and the updates each branch was to carry. The updates
    of a branch whose request failed were not written: they are left out of ``written`` and
    ``reported``, and each failed request is an error of the run (``problems``)."""

    plan: Plan
    requests: tuple[RequestOutcome, ...] = ()
    branches: tuple[tuple[str, tuple[Update, ...]], ...] = ()

    @property
    def failed_updates(self) -> tuple[Update, ...]:
        """The updates of the branches whose request failed."""
        failed = {request.branch for request in self.requests if request.action == "failed"}
        return tuple(u for branch, updates in self.branches if branch in failed for u in updates)

    @property
    def written(self) -> tuple[Update, ...]:
        failed = self.failed_updates
        return tuple(u for u in self.plan.updates if u not in failed)

    @property
    def reported(self) -> tuple[Update, ...]:
        return self.written

    @property
    def problems(self) -> tuple[Problem, ...]:
        """One error per request that failed, naming its branch."""
        return tuple(
            Problem(f"{request.branch}: {request.error or 'the pull request could not be written'}")
            for request in self.requests if request.action == "failed"
        )

    @property
    def failed(self) -> bool:
        return any(request.action == "failed" for request in self.requests)

    @property
    def change(self) -> Change | None:
        """The change of the first pull request ensured (CI outputs carry one ``pr-url``)."""
        changes = [request.change() for request in self.requests if request.pr is not None]
        return changes[0] if changes else None


Outcome = Preview | Committed | PullRequests


@value_type
class RunResult:
    """``plan``: the last plan of the run (all updates, all problems); ``outcomes``: one per
    write strategy that wrote, in order; ``root``: the repository the file names are relative to."""

    plan: Plan
    outcomes: tuple[Outcome, ...] = ()
    root: Path | None = field(default=None, compare=False)

    @property
    def problems(self) -> tuple[Problem, ...]:
        """The plan's problems, then those of the writing (files that could not be patched, pull
        requests that failed)."""
        written = tuple(p for outcome in self.outcomes for p in getattr(outcome, "problems", ()))
        return (*self.plan.problems, *written)

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def written(self) -> tuple[Update, ...]:
        """The updates that were committed, put into pull requests or previewed."""
        return tuple(u for outcome in self.outcomes for u in outcome.written)

    @property
    def reported(self) -> Plan:
        """The plan the reports show: every strategy's updates, every problem; the images whose
        update a failed pull request did not write are neither updated nor left as they were."""
        unwritten = {_where(u.use) for outcome in self.outcomes for u in getattr(outcome, "failed_updates", ())}
        uses = tuple(use for use in self.plan.uses if _where(use) not in unwritten) if unwritten else self.plan.uses
        return Plan(tuple(u for outcome in self.outcomes for u in outcome.reported), self.problems, uses)

    @property
    def change(self) -> Change | None:
        """The commit (with the first pull request's URL when there is one), else that request."""
        commit = next((o.change for o in self.outcomes if isinstance(o, Committed) and o.change), None)
        request = next((o.change for o in self.outcomes if isinstance(o, PullRequests) and o.change), None)
        if commit and request:
            return replace(commit, pr_url=request.pr_url)
        return commit or request

    @property
    def exit_code(self) -> int:
        if any(isinstance(o, PullRequests) and o.failed for o in self.outcomes):
            return int(ExitCode.WRITE_FAILED)
        return int(ExitCode.PARTIAL if self.errors else ExitCode.OK)


def _where(use: ImageUse) -> tuple[str, int, int, str]:
    """An image field by its place: file, span and container."""
    return (use.file, use.span.start, use.span.end, use.container)
