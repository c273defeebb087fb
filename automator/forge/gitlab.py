"""GitLab (gitlab.com and self-hosted) merge requests through python-gitlab.

Rate limits: a ``429`` is waited out here, not by python-gitlab (which sleeps as long as
``Retry-After`` says and cannot read its HTTP-date form): ``Retry-After`` in seconds or as a
date, bounded like GitHub's (:mod:`automator.forge.retry`), for a few attempts. ``CI_JOB_TOKEN`` is sent in the
``JOB-TOKEN`` header (``job_token=``); GitLab does not let job tokens create merge requests,
so a 401/403 with it says to use a project access token in ``GITLAB_TOKEN`` instead.

``--auto-merge squash`` sends ``squash: true`` with the merge; GitLab has no per-request
rebase method (the project's merge method decides), so ``--auto-merge rebase`` sets the
merge request to merge when the pipeline succeeds and says so in a warning.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import gitlab
import requests
from gitlab.exceptions import GitlabError, GitlabHttpError, GitlabParsingError

from automator.errors import ForgeError
from automator.forge.answers import (
    looks_like_html,
    not_found_hint,
    not_json,
    page_text,
    without_status,
)
from automator.forge.base import PullRequest, PullRequestExists, refused
from automator.forge.body import CLOSE_MARKER
from automator.forge.retry import MAX_ATTEMPTS, back_off

T = TypeVar("T")
API = "the `api` scope and at least the Developer role in the project"
JOB_TOKEN_HINT = "a project access token with the `api` scope and the Developer role in GITLAB_TOKEN"
DRAFT = "Draft: "


def _text(message: Any) -> str | None:
    """The answer as text when GitLab's ``message`` is one (python-gitlab gives the body of an
    answer that is not JSON as bytes)."""
    if isinstance(message, bytes):
        return message.decode("utf-8", "replace")
    return message if isinstance(message, str) else None


def _detail(message: Any) -> str:
    """GitLab's ``message``: a text, a list of reasons, or reasons per field (or the answer
    itself when it was not JSON, shortened)."""
    text = _text(message)
    if text is not None:
        return page_text(text)
    if isinstance(message, list):
        return "; ".join(str(m) for m in message)
    if isinstance(message, dict):
        return "; ".join(f"{field} {'; '.join(map(str, v)) if isinstance(v, list) else v}" for field, v in message.items())
    return str(message or "")


class _BoundedGitlab(gitlab.Gitlab):
    """Waits out ``429`` itself: a bounded wait (seconds or an HTTP date in ``Retry-After``),
    at most :data:`MAX_ATTEMPTS` attempts; python-gitlab's own back-off is switched off."""

    def __init__(self, *args: Any, sleep: Callable[[float], None] = time.sleep, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sleep = sleep
        self._limited: dict[str, str] = {}  # the headers of the last 429
        self.session.hooks["response"].append(self._remember_rate_limit)

    def _remember_rate_limit(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        if response.status_code == 429:
            self._limited = dict(response.headers)

    def http_request(self, verb: str, path: str, *args: Any, **kwargs: Any) -> Any:
        kwargs["obey_rate_limit"] = False
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                return super().http_request(verb, path, *args, **kwargs)
            except GitlabHttpError as error:
                if error.response_code != 429 or attempt == MAX_ATTEMPTS:
                    raise
                back_off(f"GitLab {verb.upper()} {path}", self._limited, attempt, self._sleep)
        raise AssertionError("unreachable")


class GitLabForge:
    kind = "gitlab"
    noun = "merge request"
    body_limit = 1_048_576  # characters GitLab accepts in a description (1 megabyte)

    def __init__(
        self, *, api_url: str, slug: str, token: str | None, token_variable: str | None,
        auto_merge_method: str = "merge", sleep: Callable[[float], None] = time.sleep, **_: object,
    ) -> None:
        auth: dict[str, str] = {}
        if token and token_variable == "CI_JOB_TOKEN":
            auth["job_token"] = token
        elif token:
            auth["private_token"] = token
        self._gl = _BoundedGitlab(url=api_url, timeout=30, sleep=sleep, **auth)
        self._project = self._gl.projects.get(slug, lazy=True)
        self._slug = slug
        self._token_variable = token_variable
        self._api_url = api_url
        self._method = auto_merge_method

    def _call(self, action: str, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except GitlabParsingError:
            message, hint = not_json("GitLab", self._api_url, action)
            raise ForgeError(message, hint=hint) from None
        except GitlabError as error:
            raise self._error(action, error) from None
        except requests.RequestException as error:
            raise ForgeError(f"cannot reach GitLab at {self._api_url} to {action}: {error}") from None

    def _error(self, action: str, error: GitlabError) -> ForgeError:
        """The forge error for a GitLab error answer (after the retries, for a 429)."""
        status = error.response_code or 0
        detail = without_status(_detail(error.error_message), status)
        if looks_like_html(_text(error.error_message) or "") and status not in (401, 403, 429):
            message, hint = not_json("GitLab", self._api_url, action, f"{status} {detail}")
            return ForgeError(message, hint=hint)
        if status == 429:
            return ForgeError(
                f"GitLab kept rate-limiting the request to {action} (429 {detail}); gave up after {MAX_ATTEMPTS} attempts",
                hint="run again later or space out the runs",
            )
        if status in (401, 403) and self._token_variable == "CI_JOB_TOKEN":
            return ForgeError(
                f"GitLab refused to {action} ({status} {detail}): CI_JOB_TOKEN cannot manage merge requests",
                hint=f"put {JOB_TOKEN_HINT}",
            )
        if status in (401, 403):
            return refused("GitLab", status, action, self._token_variable, API, detail)
        if status == 409 and "already exists" in detail.lower():
            return PullRequestExists(f"GitLab could not {action} ({status} {detail})")
        if status == 404:
            hint = not_found_hint("GitLab", self._slug, self._api_url, self._token_variable)
            return ForgeError(f"GitLab could not {action} (404 {detail})", hint=hint)
        return ForgeError(f"GitLab could not {action} ({status} {detail})")

    @staticmethod
    def _value(mr: Any) -> PullRequest:
        draft = bool(getattr(mr, "draft", False) or getattr(mr, "work_in_progress", False))
        return PullRequest(
            number=int(mr.iid),
            url=str(mr.web_url),
            branch=str(mr.source_branch),
            base=str(mr.target_branch),
            title=str(mr.title),
            body=str(mr.description or ""),
            draft=draft,
        )

    def _update(self, pr: PullRequest, action: str, data: dict[str, Any]) -> None:
        self._call(action, lambda: self._project.mergerequests.update(pr.number, data))

    def find_open(self, branch: str) -> PullRequest | None:
        mrs = self._call(
            f"list merge requests for {branch}",
            lambda: self._project.mergerequests.list(state="opened", source_branch=branch, get_all=True),
        )
        matching = [mr for mr in mrs if mr.source_branch == branch]
        return self._value(min(matching, key=lambda mr: mr.iid)) if matching else None

    def list_open(self, base: str) -> list[PullRequest]:
        mrs = self._call(
            f"list merge requests into {base}",
            lambda: self._project.mergerequests.list(state="opened", target_branch=base, get_all=True),
        )
        return [self._value(mr) for mr in mrs]

    def create(self, *, branch: str, base: str, title: str, body: str, draft: bool) -> PullRequest:
        data = {
            "source_branch": branch,
            "target_branch": base,
            "title": f"{DRAFT}{title}" if draft else title,
            "description": body,
            "remove_source_branch": True,
        }
        mr = self._call(f"create a merge request for {branch}", lambda: self._project.mergerequests.create(data))
        return self._value(mr)

    def edit(self, pr: PullRequest, *, title: str, body: str) -> PullRequest:
        title = f"{DRAFT}{title}" if pr.draft and not title.startswith(DRAFT) else title
        self._update(pr, f"edit merge request !{pr.number}", {"title": title, "description": body})
        return PullRequest(pr.number, pr.url, pr.branch, pr.base, title, body, pr.draft)

    def close(self, pr: PullRequest, comment: str) -> None:
        """Comment, then close; a note carrying :data:`CLOSE_MARKER` that is already there (a
        previous run whose close failed) is not posted again."""
        notes = self._project.mergerequests.get(pr.number, lazy=True).notes
        if CLOSE_MARKER in comment:
            posted = self._call(f"read the notes of merge request !{pr.number}", lambda: notes.list(get_all=True))
            if any(CLOSE_MARKER in str(getattr(note, "body", "")) for note in posted):
                comment = ""
        if comment:
            self._call(f"comment on merge request !{pr.number}", lambda: notes.create({"body": comment}))
        self._update(pr, f"close merge request !{pr.number}", {"state_event": "close"})

    def add_labels(self, pr: PullRequest, labels: Sequence[str]) -> None:
        self._update(pr, f"label merge request !{pr.number}", {"add_labels": ",".join(labels)})

    def _user_ids(self, names: Sequence[str]) -> list[int]:
        ids = []
        for name in names:
            username = name.lstrip("@")
            found = self._call(f"look up user {username}", lambda u=username: self._gl.users.list(username=u, get_all=True))
            if not found:
                raise ForgeError(f"GitLab has no user named {username!r}", hint="check --reviewer/--assignee")
            ids.append(int(found[0].id))
        return ids

    def add_reviewers(self, pr: PullRequest, reviewers: Sequence[str]) -> None:
        self._update(pr, f"set reviewers on merge request !{pr.number}", {"reviewer_ids": self._user_ids(reviewers)})

    def add_assignees(self, pr: PullRequest, assignees: Sequence[str]) -> None:
        self._update(pr, f"assign merge request !{pr.number}", {"assignee_ids": self._user_ids(assignees)})

    def enable_auto_merge(self, pr: PullRequest) -> tuple[str, ...]:
        """Merge when the pipeline succeeds (``PUT .../merge`` with ``merge_when_pipeline_succeeds``;
        ``squash: true`` for ``--auto-merge squash``). The merge method is a project setting in
        GitLab: ``rebase`` cannot be asked for, which the returned warning says."""
        data: dict[str, Any] = {"merge_when_pipeline_succeeds": True}
        if self._method == "squash":
            data["squash"] = True
        path = f"{self._project.mergerequests.path}/{pr.number}/merge"
        self._call(
            f"set merge request !{pr.number} to merge when the pipeline succeeds",
            lambda: self._gl.http_put(path, post_data=data),
        )
        if self._method == "rebase":
            return (
                f"merge request !{pr.number} merges when the pipeline succeeds by the project's merge method: "
                "GitLab cannot take --auto-merge rebase per merge request (set 'Fast-forward merge' or "
                "'Merge commit with semi-linear history' in the project's merge request settings)",
            )
        return ()
