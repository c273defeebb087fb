"""GitHub (and GitHub Enterprise) pull requests through PyGithub."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import requests
from github import Auth, Github, GithubException
from github.PullRequest import PullRequest as GhPull

from automator.errors import ForgeError
from automator.forge.answers import not_found_hint, not_json, page_text
from automator.forge.base import PullRequest, PullRequestExists, refused
from automator.forge.body import CLOSE_MARKER
from automator.forge.retry import MAX_ATTEMPTS, back_off

log = logging.getLogger(__name__)
T = TypeVar("T")
# what PyGithub raises when it builds its objects from an answer that is not the API's JSON
# (a sign-in page answered 200: PyGithub keeps the text as ``{"data": text}``)
UNREADABLE = (TypeError, KeyError, AttributeError, ValueError)
READ = "`pull-requests: read`"
WRITE = "`pull-requests: write`"
AUTO_MERGE = "`contents: write` and `pull-requests: write` (and 'Allow auto-merge' in the repository settings)"
MERGE_METHODS = ("merge", "squash", "rebase")


def _detail(error: GithubException) -> str:
    """GitHub's message, with the reasons of a 422 (``errors[].message``, e.g. "A pull request
    already exists for acme:branch.") or, without one, the field and code at fault."""
    data = error.data
    if not isinstance(data, dict):
        return page_text(str(data or ""))
    if _page(error) is not None:
        return page_text(_page(error) or "")
    message = str(data.get("message") or "")
    reasons = []
    for item in data.get("errors") or ():
        if isinstance(item, dict):
            reason = item.get("message") or " ".join(str(item[k]) for k in ("resource", "field", "code") if item.get(k))
        else:
            reason = item
        if reason and str(reason) not in reasons:
            reasons.append(str(reason))
    return f"{message}: {'; '.join(reasons)}" if reasons else message


def _page(error: GithubException) -> str | None:
    """The text of an answer that was not JSON (PyGithub keeps it as ``{"data": text}``)."""
    data = error.data
    if isinstance(data, dict) and set(data) == {"data"} and isinstance(data["data"], str):
        return data["data"]
    return None


def _rate_limited(error: GithubException) -> bool:
    headers = {k.lower(): v for k, v in (error.headers or {}).items()}
    if error.status == 429:
        return True
    if error.status != 403:
        return False
    return "retry-after" in headers or headers.get("x-ratelimit-remaining") == "0" or "rate limit" in _detail(error).lower()


class GitHubForge:
    kind = "github"
    noun = "pull request"
    body_limit = 65_536  # characters GitHub accepts in a pull request body

    def __init__(
        self,
        *,
        api_url: str,
        slug: str,
        token: str | None,
        token_variable: str | None,
        auto_merge_method: str = "merge",
        sleep: Callable[[float], None] = time.sleep,
        throttle: bool = True,
    ) -> None:
        pacing: dict[str, Any] = {} if throttle else {"seconds_between_requests": None, "seconds_between_writes": None}
        self._gh = Github(auth=Auth.Token(token) if token else None, base_url=api_url, retry=None, timeout=30, lazy=True, **pacing)
        self._repo = self._gh.get_repo(slug)
        self._owner = slug.split("/", 1)[0]
        self._token_variable = token_variable
        self._api_url = api_url
        self._slug = slug
        self._sleep = sleep
        self._method = auto_merge_method.upper()
        self._pulls: dict[int, GhPull] = {}

    def _call(self, action: str, permission: str, fn: Callable[[], T]) -> T:
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                return fn()
            except GithubException as error:
                if not (_rate_limited(error) and attempt < MAX_ATTEMPTS):
                    raise self._error(action, permission, error) from None
                back_off(f"GitHub {action}", error.headers or {}, attempt, self._sleep)
            except requests.RequestException as error:
                raise ForgeError(f"cannot reach GitHub at {self._api_url} to {action}: {error}") from None
            except UNREADABLE as error:
                log.debug("GitHub's answer to the request to %s could not be read", action, exc_info=error)
                raise self._not_json(action) from None
        raise AssertionError("unreachable")

    def _not_json(self, action: str, answer: str = "") -> ForgeError:
        message, hint = not_json("GitHub", self._api_url, action, answer)
        return ForgeError(message, hint=hint)

    def _error(self, action: str, permission: str, error: GithubException) -> ForgeError:
        """The forge error for a GitHub error answer (after the retries, for a rate limit)."""
        if _rate_limited(error):
            return ForgeError(
                f"GitHub kept rate-limiting the request to {action} ({error.status} {_detail(error)}); "
                f"gave up after {MAX_ATTEMPTS} attempts",
                hint="run again later or space out the runs",
            )
        if _page(error) is not None and error.status not in (401, 403):
            return self._not_json(action, f"{error.status} {_detail(error)}")
        if error.status in (401, 403):
            return refused("GitHub", error.status, action, self._token_variable, permission, _detail(error))
        if error.status == 422 and "already exists" in json.dumps(error.data).lower():
            return PullRequestExists(f"GitHub could not {action} (422 {_detail(error)})")
        if error.status == 404:
            hint = not_found_hint("GitHub", self._slug, self._api_url, self._token_variable)
            return ForgeError(f"GitHub could not {action} (404 {_detail(error)})", hint=hint)
        return ForgeError(f"GitHub could not {action} ({error.status} {_detail(error)})")

    def _value(self, pull: GhPull) -> PullRequest:
        try:
            value = PullRequest(
                number=pull.number,
                url=pull.html_url,
                branch=pull.head.ref,
                base=pull.base.ref,
                title=pull.title,
                body=pull.body or "",
                draft=bool(pull.draft),
            )
        except UNREADABLE:
            value = None
        if value is None or not isinstance(value.number, int) or not isinstance(value.url, str):
            raise self._not_json("read a pull request")
        self._pulls[value.number] = pull
        return value

    def _pull(self, pr: PullRequest) -> GhPull:
        if pr.number not in self._pulls:
            self._pulls[pr.number] = self._call(f"read pull request #{pr.number}", READ, lambda: self._repo.get_pull(pr.number))
        return self._pulls[pr.number]

    def find_open(self, branch: str) -> PullRequest | None:
        head = f"{self._owner}:{branch}"
        pulls = self._call(f"list pull requests for {branch}", READ, lambda: list(self._repo.get_pulls(state="open", head=head)))
        matching = [p for p in pulls if p.head.ref == branch]
        return self._value(min(matching, key=lambda p: p.number)) if matching else None

    def list_open(self, base: str) -> list[PullRequest]:
        pulls = self._call(f"list pull requests into {base}", READ, lambda: list(self._repo.get_pulls(state="open", base=base)))
        return [self._value(p) for p in pulls]

    def create(self, *, branch: str, base: str, title: str, body: str, draft: bool) -> PullRequest:
        pull = self._call(
            f"create a pull request for {branch}",
            WRITE,
            lambda: self._repo.create_pull(base=base, head=branch, title=title, body=body, draft=draft, maintainer_can_modify=True),
        )
        return self._value(pull)

    def edit(self, pr: PullRequest, *, title: str, body: str) -> PullRequest:
        pull = self._pull(pr)
        self._call(f"edit pull request #{pr.number}", WRITE, lambda: pull.edit(title=title, body=body))
        return PullRequest(pr.number, pr.url, pr.branch, pr.base, title, body, pr.draft)

    def close(self, pr: PullRequest, comment: str) -> None:
        """Comment, then close; a comment carrying :data:`CLOSE_MARKER` that is already there (a
        previous run whose close failed) is not posted again."""
        pull = self._pull(pr)
        if not (CLOSE_MARKER in comment and self._has_comment(pr, pull, CLOSE_MARKER)):
            self._call(f"comment on pull request #{pr.number}", WRITE, lambda: pull.create_issue_comment(comment))
        self._call(f"close pull request #{pr.number}", WRITE, lambda: pull.edit(state="closed"))

    def _has_comment(self, pr: PullRequest, pull: GhPull, marker: str) -> bool:
        comments = self._call(f"read the comments of pull request #{pr.number}", READ, lambda: list(pull.get_issue_comments()))
        return any(marker in (c.body or "") for c in comments)

    def add_labels(self, pr: PullRequest, labels: Sequence[str]) -> None:
        pull = self._pull(pr)
        self._call(f"label pull request #{pr.number}", WRITE, lambda: pull.add_to_labels(*labels))

    def add_reviewers(self, pr: PullRequest, reviewers: Sequence[str]) -> None:
        users = [r for r in reviewers if "/" not in r]
        teams = [r.split("/", 1)[1] for r in reviewers if "/" in r]
        pull = self._pull(pr)
        self._call(
            f"request reviewers on pull request #{pr.number}",
            WRITE,
            lambda: pull.create_review_request(reviewers=users, team_reviewers=teams),
        )

    def add_assignees(self, pr: PullRequest, assignees: Sequence[str]) -> None:
        pull = self._pull(pr)
        self._call(f"assign pull request #{pr.number}", WRITE, lambda: pull.add_to_assignees(*assignees))

    def enable_auto_merge(self, pr: PullRequest) -> tuple[str, ...]:
        """GraphQL ``enablePullRequestAutoMerge`` (there is no REST endpoint for it)."""
        pull = self._pull(pr)
        self._call(
            f"enable auto-merge on pull request #{pr.number}",
            AUTO_MERGE,
            lambda: pull.enable_automerge(merge_method=self._method),
        )
        return ()
