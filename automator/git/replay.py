"""Replay our single commit onto a new remote head without touching the checkout.

``git merge-tree --write-tree`` (git 2.38+) computes the result of putting the commit on top
of the new head entirely in the object database; a clean result becomes a commit with the
same author, message and signing settings (``git commit-tree``). The checkout then moves to it
with ``git reset --keep``. Nothing is ever left half-rebased in the user's checkout, so a run
killed at any moment leaves no rebase to abort. With an older git the commit is simply
dropped and the plan re-applied on the new head (the caller re-plans).
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from typing import TYPE_CHECKING

from automator.errors import GitError

if TYPE_CHECKING:
    from automator.git.workspace import Workspace

log = logging.getLogger(__name__)


def replay_onto(ws: Workspace, commit: str, onto: str) -> str | None:
    """The id of ``commit`` replayed onto ``onto`` (``onto`` itself when the change is already
    there); None when it does not apply cleanly or git cannot merge without a checkout."""
    status, out, err = ws.try_git("merge-tree", "--write-tree", "--no-messages", onto, commit)
    if status != 0:
        if status != 1:
            log.debug("git merge-tree --write-tree unavailable (%s); re-planning instead", err.strip()[:200])
        return None
    tree = out.split()[0]
    if tree == ws.git("rev-parse", f"{onto}^{{tree}}"):
        return onto
    headers, _, message = ws.git("cat-file", "commit", commit).partition("\n\n")
    author = commit_author(headers)
    sign = ws.config.get_bool("commit.gpgsign") is True
    fd, message_file = tempfile.mkstemp(prefix="automator-message-", dir=ws.git_dir)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(message.rstrip("\n") + "\n")
        env = {"GIT_AUTHOR_NAME": author[0], "GIT_AUTHOR_EMAIL": author[1], "GIT_AUTHOR_DATE": author[2]}
        args = ["commit-tree", tree, "-p", onto, "-F", message_file, *(["-S"] if sign else [])]
        return ws.git(*args, env=env).strip()
    finally:
        os.unlink(message_file)


def commit_author(headers: str) -> tuple[str, str, str]:
    """(name, email, raw date) of the ``author`` line of a commit object's headers."""
    line = next((h for h in headers.splitlines() if h.startswith("author ")), "author  <> 0 +0000")
    match = re.fullmatch(r"author (.*?) ?<([^>]*)> (.*)", line)
    if match is None:
        raise GitError(f"cannot read the author of the commit: {line!r}")
    return match.group(1), match.group(2), match.group(3)
