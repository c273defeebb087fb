"""``ensure_pull_request``: find-or-update-or-create, never a duplicate, no writes when current.

For each group of updates (one per run, or one per image) there is one deterministic branch
and at most one open pull request:

* absent                    -> push the branch, create the PR, add labels/reviewers/assignees/auto-merge
                               (until they are added, the PR's marker says ``"decorated":false``, and
                               any later run that finds it so adds them: a run stopped in between)
* present, same fingerprint -> nothing is written (neither git nor API), unless the branch no
                               longer merges cleanly into the fresh base (a neighbouring change
                               was merged): then it is rebuilt on the base, as below
* present, plan changed     -> force-with-lease our own branch, edit title and body
* open PR of ours that this run no longer needs (the base already has its updates, or
  grouping changed) -> comment, close, delete its branch

A PR is ours when its body carries the hidden marker; a branch is ours when such a PR points
at it or it lies under the template's literal prefix (``automator/``). Anything else is never
overwritten. A create that fails is followed by a second look (:func:`_adopt`): the forge may
have created the PR before the answer was lost (a 502 or timeout), or another run did; a PR
is never described by a plan that its branch no longer holds. A PR of ours for another environment or another base branch (two jobs whose
branch names collide) is not taken over either: that group fails with a clear message.

A PR holding updates that this run could not judge (an image or file that could not be
checked, an image outside the scope of an event-driven run) is kept as it is
(:mod:`automator.forge.keep`). Each stale PR is closed on its own: one that fails is reported
and does not stop the others.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
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
from automator.forge.keep import why_keep_as_is, why_keep_stale
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


def _still_current(writer: BranchWriter, branch: str, base: str) -> bool:
    """Whether the branch of an up-to-date PR still merges into the fresh base without
    conflicts (a writer that cannot tell, having no ``merges_cleanly``, is taken to say yes).
    One that does not is rebuilt on the base, though its updates are the same."""
    check = getattr(writer, "merges_cleanly", None)
    if check is None or check(branch):
        return True
    log.info("%s no longer merges cleanly into %s: rebuilding it on the fresh %s", branch, base, base)
    return False


@value_type
class Settings:
    env_path: str
    base: str
    template: str = DEFAULT_TEMPLATE
    per: Grouping = "run"
    apart: frozenset[str] = frozenset()  # with per run: repositories in a PR of their own
    labels: tuple[str, ...] = ()
    reviewers: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    draft: bool = False
    auto_merge: bool = False
    message_template: str | None = None
    scope: frozenset[str] | None = None  # an event-driven run: the repositories it is about


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
            warnings.extend(forge.enable_auto_merge(pr) or ())
        except ForgeError as error:
            warnings.append(str(error))
    for warning in warnings:
        log.warning("%s", warning)
    return tuple(warnings)


def _not_this_target(forge: Forge, pr: PullRequest, marker: Marker, settings: Settings) -> ForgeError | None:
    """A PR of ours for the same branch name but another environment or base branch: two
    environments whose names render the same branch. Taking it over would make the jobs
    overwrite each other's PR on every run."""
    if marker.env != settings.env_path:
        return ForgeError(
            f"{forge.noun} {pr.url} for branch {pr.branch} belongs to environment {marker.env or '(the whole repository)'!r}, "
            f"not {settings.env_path or '(the whole repository)'!r}: both render the same branch name; leaving it alone",
            hint="give one of the two environments its own --branch-template",
        )
    if pr.base != settings.base:
        return ForgeError(
            f"{forge.noun} {pr.url} for branch {pr.branch} targets base branch {pr.base!r}, not {settings.base!r}: "
            "runs for both base branches render the same branch name; leaving it alone",
            hint=f"give the runs for {settings.base!r} their own --branch-template, e.g. 'automator/{settings.base}/{{env}}/{{image}}'",
        )
    return None


def _find_ours(forge: Forge, branch: str, settings: Settings) -> tuple[PullRequest | None, Marker | None]:
    """The open PR of ``branch`` and its marker; raises when it is not ours to change."""
    pr = forge.find_open(branch)
    if pr is None:
        return None, None
    marker = parse_marker(pr.body)
    if marker is None:
        raise _not_ours(forge, pr)
    foreign = _not_this_target(forge, pr, marker, settings)
    if foreign is not None:
        raise foreign
    return pr, marker


def _to_decorate(settings: Settings) -> bool:
    return bool(settings.labels or settings.reviewers or settings.assignees or settings.auto_merge)


def _edit(forge: Forge, pr: PullRequest, decorated: bool, settings: Settings, title: str, body: str) -> tuple[PullRequest, tuple[str, ...]]:
    """Write ``title`` and ``body`` (whose marker says the PR is decorated); a PR whose marker
    said it was not yet gets its labels, reviewers, assignees and auto-merge first, so that a
    run stopped in between leaves the work to the next one. Failing to record that is a warning."""
    if decorated:
        return forge.edit(pr, title=title, body=body), ()
    warnings = _decorate(forge, pr, settings)
    try:
        return forge.edit(pr, title=title, body=body), warnings
    except ForgeError as error:
        log.warning("%s", error)
        return pr, (*warnings, str(error))


def _adopt(forge: Forge, writer: BranchWriter, group: Group, settings: Settings, commit: str, error: ForgeError) -> Outcome:
    """After our create failed: the PR open for the branch all the same, if it is ours.

    ``PullRequestExists``: another run created it between our lookup and our create. Any other
    failure (a 502, a timeout): the forge may have created it before the answer was lost; one
    carrying our plan is ours, it is decorated and reported as created. When the branch no
    longer holds the commit we pushed, another run pushed its plan after ours: its PR is left
    as it is (title and body never disagree with the branch); the next run reconciles them."""
    try:
        pr, theirs = _find_ours(forge, group.branch, settings)
    except AutomatorError:
        raise error from None
    if pr is None or theirs is None:
        raise error
    remote = writer.remote_sha(group.branch)
    if remote != commit:
        note = f"another run pushed {remote or 'nothing'} to {group.branch} after our commit {commit}; leaving its {forge.noun} as it is"
        log.info("%s", note)
        return Outcome("unchanged", group.branch, pr, remote, warnings=(note,))
    title = render_title(group.updates, settings.env_path)
    body = render_body(group.updates, env_path=settings.env_path, branch=group.branch, limit=getattr(forge, "body_limit", None), noun=forge.noun)
    if theirs.fingerprint != fingerprint(group.updates):
        pr, warnings = _edit(forge, pr, theirs.decorated, settings, title, body)
        return Outcome("updated", group.branch, pr, commit, warnings)
    if isinstance(error, PullRequestExists):
        return Outcome("unchanged", group.branch, pr, commit)  # its creator decorates it
    log.info("%s %s was created although the forge answered: %s", forge.noun, pr.url, error)
    if theirs.decorated:
        return Outcome("created", group.branch, pr, commit, _decorate(forge, pr, settings))
    pr, warnings = _edit(forge, pr, False, settings, title, body)
    return Outcome("created", group.branch, pr, commit, warnings)


def ensure_pull_request(forge: Forge, writer: BranchWriter, group: Group, settings: Settings, plan: Plan | None = None) -> Outcome:
    """Make the one open PR of ``group.branch`` carry exactly ``group.updates``, unless it holds
    updates that ``plan`` (the run's whole plan: its errors) could not judge: then it is kept."""
    fp = fingerprint(group.updates)
    title = render_title(group.updates, settings.env_path)
    limit = getattr(forge, "body_limit", None)
    body = render_body(group.updates, env_path=settings.env_path, branch=group.branch, limit=limit, noun=forge.noun)
    pr, marker = _find_ours(forge, group.branch, settings)
    remote = writer.remote_sha(group.branch)
    if pr and marker and marker.fingerprint == fp and remote is not None and _still_current(writer, group.branch, settings.base):
        if marker.decorated:
            return Outcome("unchanged", group.branch, pr, remote)
        pr, warnings = _edit(forge, pr, False, settings, title, body)  # an earlier run stopped before
        return Outcome("updated", group.branch, pr, remote, warnings)
    reason = why_keep_as_is(marker, group.updates, plan or Plan(), settings.scope) if pr and marker else None
    if pr and reason:
        return Outcome("kept", group.branch, pr, remote, warnings=(f"kept as it is: {reason}",))
    prefix = owned_prefix(settings.template)
    owned = marker is not None or bool(prefix and group.branch.startswith(prefix))
    if remote is not None and not owned:
        raise GitError(
            f"branch {group.branch} exists on the remote and was not created by Deployment Automator; not overwriting it",
            hint="delete the branch or choose another --branch-template",
        )
    commit = writer.push(group.branch, group.updates, _commit_message(group, settings), expected=remote, may_overwrite=owned)
    if pr:
        pr, warnings = _edit(forge, pr, marker is None or marker.decorated, settings, title, body)
        return Outcome("updated", group.branch, pr, commit, warnings)
    pending = _to_decorate(settings)  # the body says so until the decorations are added
    first = render_body(group.updates, env_path=settings.env_path, branch=group.branch, limit=limit, noun=forge.noun, decorated=not pending)
    try:
        pr = forge.create(branch=group.branch, base=settings.base, title=title, body=first, draft=settings.draft)
    except ForgeError as error:
        return _adopt(forge, writer, group, settings, commit, error)
    if not pending:
        return Outcome("created", group.branch, pr, commit)
    pr, warnings = _edit(forge, pr, False, settings, title, body)
    return Outcome("created", group.branch, pr, commit, warnings)


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


def _close(forge: Forge, writer: BranchWriter, pr: PullRequest, comment: str) -> Outcome:
    """Comment, close, delete the branch (a branch that cannot be deleted is a warning)."""
    forge.close(pr, comment)
    sha = writer.remote_sha(pr.branch)
    warnings: tuple[str, ...] = ()
    if sha:
        try:
            writer.delete(pr.branch, expected=sha)
        except GitError as error:
            warnings = (str(error),)
    return Outcome("closed", pr.branch, pr, warnings=warnings)


def _stale(pr: PullRequest, marker: Marker | None, settings: Settings, wanted: Collection[str]) -> bool:
    """An open PR of ours, for this environment, on a branch of ours that this run does not use."""
    if marker is None or marker.env != settings.env_path or pr.branch in wanted:
        return False
    prefix = owned_prefix(settings.template)
    return marker.branch == pr.branch or bool(prefix and pr.branch.startswith(prefix))


def close_stale(forge: Forge, writer: BranchWriter, plan: Plan, settings: Settings, kept: Sequence[Outcome]) -> list[Outcome]:
    """Close our open PRs for this environment whose branch this run does not use; each close
    is its own outcome (one that fails is reported as failed, the others still happen)."""
    wanted = {o.branch for o in kept}
    outcomes = []
    for pr in forge.list_open(settings.base):
        marker = parse_marker(pr.body)
        if marker is None or not _stale(pr, marker, settings, wanted):
            continue
        reason = why_keep_stale(marker, plan, settings.scope)
        if reason:
            outcomes.append(Outcome("kept", pr.branch, pr, warnings=(f"kept open: {reason}",)))
            continue
        try:
            outcomes.append(_close(forge, writer, pr, _close_comment(forge, marker, settings, kept)))
        except AutomatorError as error:
            log.error("%s: %s", pr.branch, error)
            outcomes.append(Outcome("failed", pr.branch, pr, error=str(error)))
    return outcomes


def ensure_pull_requests(forge: Forge, writer: BranchWriter, plan: Plan, settings: Settings) -> list[Outcome]:
    """One PR per group of the plan, then close the ones no longer needed.

    A group that fails (refused push, forge error) is reported and does not stop the others.
    """
    groups = group_updates(plan, env_path=settings.env_path, template=settings.template, per=settings.per, apart=settings.apart)
    outcomes: list[Outcome] = []
    for group in groups:
        try:
            outcomes.append(ensure_pull_request(forge, writer, group, settings, plan))
        except AutomatorError as error:
            log.error("%s: %s", group.branch, error)
            outcomes.append(Outcome("failed", group.branch, error=str(error)))
    if any(o.action == "failed" for o in outcomes):
        return outcomes
    try:
        outcomes.extend(close_stale(forge, writer, plan, settings, outcomes))
    except AutomatorError as error:  # the open PRs could not be listed
        outcomes.append(Outcome("failed", f"(closing stale {forge.noun}s)", error=str(error)))
    return outcomes
