"""The small interface every forge implements, and the value type of a pull request."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from automator.errors import ForgeError
from automator.values import value_type


@value_type
class PullRequest:
    """An open pull request (GitHub) or merge request (GitLab; ``number`` is the IID)."""

    number: int
    url: str
    branch: str
    base: str
    title: str
    body: str
    draft: bool = False


class PullRequestExists(ForgeError):
    """The forge refused to create a second open pull request for the same branch."""


class Forge(Protocol):
    """One project on one forge. Methods raise :class:`ForgeError` with a clear message."""

    kind: str
    noun: str  # "pull request" or "merge request"

    def find_open(self, branch: str) -> PullRequest | None: ...

    def list_open(self, base: str) -> list[PullRequest]: ...

    def create(self, *, branch: str, base: str, title: str, body: str, draft: bool) -> PullRequest: ...

    def edit(self, pr: PullRequest, *, title: str, body: str) -> PullRequest: ...

    def close(self, pr: PullRequest, comment: str) -> None: ...

    def add_labels(self, pr: PullRequest, labels: Sequence[str]) -> None: ...

    def add_reviewers(self, pr: PullRequest, reviewers: Sequence[str]) -> None: ...

    def add_assignees(self, pr: PullRequest, assignees: Sequence[str]) -> None: ...

    def enable_auto_merge(self, pr: PullRequest) -> tuple[str, ...]:
        """Set the PR to merge by itself; returns warnings (what the forge could not honour)."""
        ...


def refused(forge: str, status: int, action: str, token_variable: str | None, permission: str, detail: str) -> ForgeError:
    """A 401/403 turned into a message that names the token variable and the missing permission."""
    detail = detail.removeprefix(f"{status} ")
    if token_variable is None:
        return ForgeError(
            f"{forge} refused to {action} ({status}): no token was given",
            hint=f"set {'GITHUB_TOKEN or GH_TOKEN' if forge == 'GitHub' else 'GITLAB_TOKEN'} to a token with {permission}",
        )
    if status == 401:
        return ForgeError(
            f"{forge} refused to {action} (401 {detail}): the token in {token_variable} is invalid or expired",
            hint=f"renew it; it needs {permission}",
        )
    return ForgeError(
        f"{forge} refused to {action} (403 {detail}): the token in {token_variable} lacks {permission}",
        hint="grant that permission to the token (or the CI job) and run again",
    )
