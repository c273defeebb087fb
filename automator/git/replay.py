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
import tempfile
from typing import TYPE_CHECKING

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
    author = ws.git("log", "-1", "--format=%an%x00%ae%x00%ad", "--date=raw", commit).split("\0")
    message = ws.git("cat-file", "commit", commit).split("\n\n", 1)[1]
    sign = ws.try_git("config", "--bool", "--get", "commit.gpgsign")[1].strip() == "true"
    fd, message_file = tempfile.mkstemp(prefix="automator-message-", dir=ws.git_dir)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(message.rstrip("\n") + "\n")
        env = {"GIT_AUTHOR_NAME": author[0], "GIT_AUTHOR_EMAIL": author[1], "GIT_AUTHOR_DATE": author[2]}
        args = ["commit-tree", tree, "-p", onto, "-F", message_file, *(["-S"] if sign else [])]
        return ws.repo.git.execute(["git", *args], env=env).strip()
    finally:
        os.unlink(message_file)
