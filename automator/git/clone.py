"""Clone mode (``--repo URL [--ref BRANCH]``): a shallow clone in a temp dir, removed afterwards.

Credentials in the URL (``https://user:token@host/...``) are taken out of it before git sees
it, so the clone's ``.git/config`` holds only the clean URL; the token travels as an
environment-scoped ``http.extraHeader`` (see :mod:`automator.git.credentials`).
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import git

from automator.context import Context
from automator.errors import GitError
from automator.git.credentials import git_environment, split_url_credentials
from automator.git.workspace import Workspace

_URL_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
_SCP_LIKE = re.compile(r"^[^/:]+@[^/:]+:")


def supports_shallow(url: str) -> bool:
    """Local paths ignore --depth (git says so); every transport URL honours it."""
    return bool(_URL_SCHEME.match(url) or _SCP_LIKE.match(url))


@contextmanager
def cloned(url: str, ref: str | None, ctx: Context) -> Iterator[Workspace]:
    clean_url, user, password = split_url_credentials(url)
    env = git_environment(ctx, url=clean_url, token=password, username=user)
    workdir = Path(tempfile.mkdtemp(prefix="automator-clone-"))
    target = workdir / "repo"
    try:
        base = ["clone", "--quiet", "--no-tags", "--single-branch"] + (["--branch", ref] if ref else [])
        runner = git.Git()
        runner.update_environment(**env)
        attempts = [base + ["--depth", "1"], base] if supports_shallow(clean_url) else [base]
        error: git.GitCommandError | None = None
        for args in attempts:
            shutil.rmtree(target, ignore_errors=True)
            try:
                runner.execute(["git", *args, "--", clean_url, str(target)])
                error = None
                break
            except git.GitCommandError as failure:
                error = failure
        if error is not None:
            detail = (error.stderr or "").strip().removeprefix("stderr: ").strip("'\n ")
            raise GitError(f"could not clone {clean_url}{f' ({ref})' if ref else ''}: {detail}")
        yield Workspace(git.Repo(target), env)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
