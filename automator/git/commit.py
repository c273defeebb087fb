"""The run's one commit: exactly the files it wrote, whatever else is staged.

``git commit --only`` commits the given paths from the working tree onto HEAD through a
temporary index of git's own (hooks and signing apply as to any commit): a change the user
stages while the run works stays staged and is neither committed nor pushed. The message is
read from a file and the paths from standard input, so a run of thousands of updates is not
bounded by the command line (one argument may hold 128 KiB at most).
"""

from __future__ import annotations

import os
import tempfile
from typing import TYPE_CHECKING

from automator.errors import GitError
from automator.git.command import chunked, literal, pathspec_input

if TYPE_CHECKING:
    from automator.git.workspace import Workspace

UNKNOWN_PATH = "did not match any file(s) known to git"  # `git commit -- PATH` of an untracked PATH


def commit_files(ws: Workspace, files: list[str], message: str, author: str, *, add_first: bool) -> str:
    """Commit ``files`` (paths from the root) with ``message``; return the new HEAD.
    ``add_first``: ``git add`` them before (they may be new to git); otherwise only when git
    does not know one of them."""
    fd, message_file = tempfile.mkstemp(prefix="automator-message-", dir=ws.git_dir)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape") as handle:
            handle.write(message)
        commit = (
            *ws.defer_maintenance(), "commit", "--quiet", "--cleanup=whitespace", f"--author={author}",
            "-F", message_file, "--only", "--pathspec-from-file=-", "--pathspec-file-nul",
        )
        paths = pathspec_input(files)
        if not add_first:
            status, _, err = ws.try_git(*commit, stdin=paths)
            if status == 0:
                return ws.head()
            if UNKNOWN_PATH not in err:
                raise GitError(f"git commit failed in {ws.root}: {err.strip() or f'exit status {status}'}")
        for chunk in chunked([literal(name) for name in files]):
            ws.git("add", "--", *chunk)
        ws.git(*commit, stdin=paths)
        return ws.head()
    finally:
        os.unlink(message_file)
