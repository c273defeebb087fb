"""``ensure_pull_request``: find-or-update-or-create, never a duplicate, no writes when current.

For each group of updates (one per run, or one per image) there is one deterministic branch
and at most one open pull request:

* absent                    -> push the branch, create the PR, add labels/reviewers/assignees/auto-merge
* present, same fingerprint -> nothing is written (neither git nor API)
* present, plan changed     -> force-with-lease our own branch, edit title and body
* open PR of ours that this run no longer needs (the base already has its updates, or
  grouping changed) -> comment, close, delete its branch

A PR is ours when its body carries the hidden marker; a branch is ours when such a PR points
at it or it lies under the template's literal prefix (``automator/``). Anything else is never
overwritten.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Literal, Protocol

from automator.errors import AutomatorError, ForgeError, GitError
from automator.forge.base import Forge, PullRequest, PullRequestExists
from automator.forge.body import (
    CLOSE_MARKER,
    Marker,
    fingerprint,
    parse_marker,
    render_body,
    render_title,
)
from automator.forge.naming import DEFAULT_TEMPLATE, Group, Grouping, group_updates, owned_prefix
from automator.git.message import render_message
from automator.model import Change, Plan, Update
from automator.values import value_type

log = logging.getLogger(__name__)
Action = Literal["created", "updated", "unchanged", "closed", "kept", "failed"]


class BranchWriter(Protocol):
    """Pushes the commit of some updates to a branch (see ``automator.git.branch``)."""

    def remote_sha(self, branch: str) -> str | None: ...

    def push(self, branch: str, updates: Sequence[Update], message: str, *, expected: str | None, may_overwrite: bool) -> str: ...

    def delete(self, branch: str, *, expected: str) -> None: ...


@value_type
class Settings:
    env_path: str
    base: str
    template: str = DEFAULT_TEMPLATE
    per: Grouping = "run"
    labels: tuple[str, ...] = ()
    reviewers: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    draft: bool = False
    auto_merge: bool = False
    message_template: str | None = None


@value_type
class Outcome:
    action: Action
    branch: str
    pr: PullRequest | None = None
    commit: str | None = None
    warnings: tuple[str, ...] = ()
    error: str | None = None

    def change(self) -> Change:
        return Change(commit=self.commit, branch=self.branch, pr_url=self.pr.url if self.pr else None)


def _commit_message(group: Group, settings: Settings) -> str:
    plan = Plan(updates=group.updates)
    return render_message(plan, settings.message_template, path=settings.env_path or ".", branch=group.branch)


def _not_ours(forge: Forge, pr: PullRequest) -> ForgeError:
    return ForgeError(
        f"{forge.noun} {pr.url} is open for branch {pr.branch} but was not opened by Deployment Automator; leaving it alone",
        hint="choose another --branch-template",
    )


def _decorate(forge: Forge, pr: PullRequest, settings: Settings) -> tuple[str, ...]:
    """Labels, reviewers, assignees and auto-merge on a new PR; failures become warnings."""
    steps = [
        (settings.labels, forge.add_labels),
        (settings.reviewers, forge.add_reviewers),
        (settings.assignees, forge.add_assignees),
    ]
    warnings = []
    for values, step in steps:
        if values:
            try:
                step(pr, values)
            except ForgeError as error:
                warnings.append(str(error))
    if settings.auto_merge:
        try:
            forge.enable_auto_merge(pr)
        except ForgeError as error:
            warnings.append(str(error))
    for warning in warnings:
        log.warning("%s", warning)
    return tuple(warnings)


def ensure_pull_request(forge: Forge, writer: BranchWriter, group: Group, settings: Settings) -> Outcome:
    """Make the one open PR of ``group.branch`` carry exactly ``group.updates``."""
    fp = fingerprint(group.updates)
    title = render_title(group.updates, settings.env_path)
    body = render_body(group.updates, env_path=settings.env_path, branch=group.branch, limit=getattr(forge, "body_limit", None))
    pr = forge.find_open(group.branch)
    marker = parse_marker(pr.body) if pr else None
    if pr and marker is None:
        raise _not_ours(forge, pr)
    remote = writer.remote_sha(group.branch)
    if pr and marker and marker.fingerprint == fp and remote is not None:
        return Outcome("unchanged", group.branch, pr, remote)
    prefix = owned_prefix(settings.template)
    owned = marker is not None or bool(prefix and group.branch.startswith(prefix))
    if remote is not None and not owned:
        raise GitError(
            f"branch {group.branch} exists on the remote and was not created by Deployment Automator; not overwriting it",
            hint="delete the branch or choose another --branch-template",
        )
    commit = writer.push(group.branch, group.updates, _commit_message(group, settings), expected=remote, may_overwrite=owned)
    if pr:
        return Outcome("updated", group.branch, forge.edit(pr, title=title, body=body), commit)
    try:
        pr = forge.create(branch=group.branch, base=settings.base, title=title, body=body, draft=settings.draft)
    except PullRequestExists:
        # another run created it between our lookup and our create: adopt that one
        pr = forge.find_open(group.branch)
        if pr is None:
            raise
        theirs = parse_marker(pr.body)
        if theirs is None:
            raise _not_ours(forge, pr) from None
        if theirs.fingerprint == fp:
            return Outcome("unchanged", group.branch, pr, commit)
        return Outcome("updated", group.branch, forge.edit(pr, title=title, body=body), commit)
    return Outcome("created", group.branch, pr, commit, _decorate(forge, pr, settings))


def _blocked_by_problems(marker: Marker, plan: Plan) -> str | None:
    """A stale-looking PR stays open when this run could not check its images or files."""
    for problem in plan.errors:
        if not problem.file and not problem.image:
            return problem.message
        if problem.file and problem.file in marker.files:
            return problem.message
        if problem.image and any(problem.image.startswith(r) or r.endswith(problem.image) for r in marker.repositories):
            return problem.message
    return None


def _close_comment(forge: Forge, marker: Marker, settings: Settings, kept: Sequence[Outcome]) -> str:
    """Why the PR is closed; it ends with :data:`CLOSE_MARKER`, by which the forge sees that it
    was already posted (a run whose close failed does not post it again)."""
    for outcome in kept:
        current = parse_marker(outcome.pr.body) if outcome.pr else None
        if outcome.pr and current and set(marker.repositories) & set(current.repositories):
            return f"Superseded by {outcome.pr.url}; closing this {forge.noun}.\n\n{CLOSE_MARKER}"
    return (
        f"The base branch `{settings.base}` already has these updates (or they no longer apply); "
        f"closing this {forge.noun}.\n\n{CLOSE_MARKER}"
    )


def close_stale(forge: Forge, writer: BranchWriter, plan: Plan, settings: Settings, kept: Sequence[Outcome]) -> list[Outcome]:
    """Close our open PRs for this environment whose branch this run does not use."""
    wanted = {o.branch for o in kept}
    prefix = owned_prefix(settings.template)
    outcomes = []
    for pr in forge.list_open(settings.base):
        marker = parse_marker(pr.body)
        if marker is None or marker.env != settings.env_path or pr.branch in wanted:
            continue
        if marker.branch != pr.branch and not (prefix and pr.branch.startswith(prefix)):
            continue
        reason = _blocked_by_problems(marker, plan)
        if reason:
            outcomes.append(Outcome("kept", pr.branch, pr, warnings=(f"kept open: {reason}",)))
            continue
        forge.close(pr, _close_comment(forge, marker, settings, kept))
        sha = writer.remote_sha(pr.branch)
        warnings: tuple[str, ...] = ()
        if sha:
            try:
                writer.delete(pr.branch, expected=sha)
            except GitError as error:
                warnings = (str(error),)
        outcomes.append(Outcome("closed", pr.branch, pr, warnings=warnings))
    return outcomes


def ensure_pull_requests(forge: Forge, writer: BranchWriter, plan: Plan, settings: Settings) -> list[Outcome]:
    """One PR per group of the plan, then close the ones no longer needed.

    A group that fails (refused push, forge error) is reported and does not stop the others.
    """
    groups = group_updates(plan, env_path=settings.env_path, template=settings.template, per=settings.per)
    outcomes: list[Outcome] = []
    for group in groups:
        try:
            outcomes.append(ensure_pull_request(forge, writer, group, settings))
        except AutomatorError as error:
            log.error("%s: %s", group.branch, error)
            outcomes.append(Outcome("failed", group.branch, error=str(error)))
    if any(o.action == "failed" for o in outcomes):
        return outcomes
    try:
        outcomes.extend(close_stale(forge, writer, plan, settings, outcomes))
    except AutomatorError as error:
        outcomes.append(Outcome("failed", f"(closing stale {forge.noun}s)", error=str(error)))
    return outcomes
