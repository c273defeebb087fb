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

from automator.context import Context
from automator.errors import GitError
from automator.git.credentials import git_environment, split_url_credentials
from automator.git.network import check_transport, run_git, shown_url
from automator.git.workspace import Workspace

_URL_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
_SCP_LIKE = re.compile(r"^[^/:]+@[^/:]+:")
_open: set[Path] = set()  # the temporary directories of this process's clones not yet removed
_open_lock = threading.Lock()


# the refusal of a URL with a query or fragment (--repo, a fleet file's url:), which never repeats it
URL_WITH_QUERY = "a clone URL takes no query string or fragment (the part from ? or #)"
URL_WITH_QUERY_HINT = "give a token in GIT_TOKEN (or GITHUB_TOKEN, GITLAB_TOKEN), never in the URL"


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


def supports_shallow(url: str) -> bool:
    """Local paths ignore --depth (git says so); every transport URL honours it."""
    return bool(_URL_SCHEME.match(url)) or is_scp_like(url)


@contextmanager
def cloned(url: str, ref: str | None, ctx: Context, *, timeout: float = 120.0) -> Iterator[Workspace]:
    """A temporary clone of ``url``; the clone is stopped after ``timeout`` seconds."""
    check_transport(url, what="--repo")
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
            raise GitError(f"could not clone {clean_url}{f' ({ref})' if ref else ''}: {detail}")
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
