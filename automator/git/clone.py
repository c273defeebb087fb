"""Clone mode (``--repo URL [--ref BRANCH]``): a shallow clone in a temp dir, removed afterwards.

Credentials in the URL (``https://user:token@host/...``) are taken out of it before git sees
it, so the clone's ``.git/config`` holds only the clean URL; the token travels as an
environment-scoped ``http.extraHeader`` (see :mod:`automator.git.credentials`).
"""

from __future__ import annotations

import re
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from automator.context import Context
from automator.errors import (
    SLASH_IN_USERINFO,
    SLASH_IN_USERINFO_HINT,
    GitError,
    UsageError,
    slash_in_userinfo,
)
from automator.git.credentials import auth_failure_hint, git_environment, split_url_credentials
from automator.git.network import check_transport, run_git, shown_url
from automator.git.workspace import Workspace

_URL_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
_SCP_LIKE = re.compile(r"^[^/:]+@[^/:]+:")
_open: set[Path] = set()  # the temporary directories of this process's clones not yet removed
_open_lock = threading.Lock()


# the refusal of a URL with a query or fragment (--repo, a fleet file's url:), which never repeats it
URL_WITH_QUERY = "a clone URL takes no query string or fragment (the part from ? or #)"
URL_WITH_QUERY_HINT = "give a token in GIT_TOKEN (or GITHUB_TOKEN, GITLAB_TOKEN), never in the URL"
BROKEN_HOST = "the URL's host or port cannot be read (a host in [brackets] must be an IPv6 address, a port a number up to 65535)"
BROKEN_HOST_HINT = "write it as https://HOST/OWNER/REPO.git, https://[::1]:PORT/... for an IPv6 address"


def is_scp_like(url: str) -> bool:
    """``user@host:path``: git's SSH address without a scheme."""
    return bool(_SCP_LIKE.match(url))


def has_query_or_fragment(url: str) -> bool:
    """A URL (``scheme://`` or ``user@host:path``) with ``?query`` or ``#fragment``: git cannot
    clone it, and it is where a token would hide (``?private_token=``). A local path may hold
    any character."""
    if _URL_SCHEME.match(url):
        url = url.partition("://")[2]
    elif not is_scp_like(url):
        return False
    return any(c in url for c in "?#")


def clone_url_problem(url: str) -> tuple[str, str] | None:
    """Why git could not clone ``url`` (``--repo``, a fleet file's ``url:``) as (message, hint),
    in words that never repeat the URL (it may hold a token); None when nothing is wrong that
    shows before git runs: a ``?query`` or ``#fragment``, a password holding an unencoded ``/``
    (no parser reads it as one: it would be shown as the host and path), a host in brackets
    that is no IPv6 address, or a port that is not a number up to 65535."""
    if has_query_or_fragment(url):
        return URL_WITH_QUERY, URL_WITH_QUERY_HINT
    if slash_in_userinfo(url):
        return SLASH_IN_USERINFO, SLASH_IN_USERINFO_HINT
    if _URL_SCHEME.match(url):
        try:
            urlsplit(url).port  # noqa: B018 - raises for a broken [host] or port
        except ValueError:
            return BROKEN_HOST, BROKEN_HOST_HINT
    return None


def check_clone_url(url: str, *, what: str = "--repo") -> None:
    """A usage error (exit 2) naming ``what`` for a URL that :func:`clone_url_problem` refuses."""
    problem = clone_url_problem(url)
    if problem:
        raise UsageError(f"{what}: {problem[0]}", hint=problem[1])


def supports_shallow(url: str) -> bool:
    """Local paths ignore --depth (git says so); every transport URL honours it."""
    return bool(_URL_SCHEME.match(url)) or is_scp_like(url)


@contextmanager
def cloned(url: str, ref: str | None, ctx: Context, *, timeout: float = 120.0) -> Iterator[Workspace]:
    """A temporary clone of ``url``; the clone is stopped after ``timeout`` seconds."""
    check_transport(url, what="--repo")
    check_clone_url(url)
    clean_url, user, password = split_url_credentials(url)
    env = git_environment(ctx, url=clean_url, token=password, username=user)
    workdir = Path(tempfile.mkdtemp(prefix="automator-clone-"))
    with _open_lock:
        _open.add(workdir)
    target = workdir / "repo"
    try:
        base = ["clone", "--quiet", "--no-tags", "--single-branch"] + (["--branch", ref] if ref else [])
        attempts = [base + ["--depth", "1"], base] if supports_shallow(clean_url) else [base]
        deadline = time.monotonic() + timeout
        detail = ""
        for args in attempts:
            shutil.rmtree(target, ignore_errors=True)
            status, _, err = run_git(
                [*args, "--", clean_url, str(target)], timeout=deadline - time.monotonic(),
                what=f"git clone of {shown_url(clean_url)}", env=env,
            )
            detail = err.strip()
            if status == 0:
                break
        else:
            raise GitError(f"could not clone {clean_url}{f' ({ref})' if ref else ''}: {detail}",
                           hint=auth_failure_hint(detail, env, clean_url))
        yield Workspace(target, target / ".git", env, own_clone=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        with _open_lock:
            _open.discard(workdir)


def remove_open_clones() -> None:
    """Remove every clone this process still has: those of worker threads that a stopping
    fleet leaves behind (stuck in a request it cannot cut short) as the process exits."""
    with _open_lock:
        left = list(_open)
        _open.clear()
    for workdir in left:
        shutil.rmtree(workdir, ignore_errors=True)
