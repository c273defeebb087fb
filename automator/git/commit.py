"""The run's one commit: exactly the files it wrote, whatever else is staged.

The run stages its files in an index of its own (a temporary ``GIT_INDEX_FILE`` in the git
directory, read from HEAD) and commits that index: a change the user stages while the run
works stays staged and is neither committed nor pushed, and a file the user edits after the
run staged it (while the commit's hooks run, say) is committed as the run staged it; the edit
stays in the tree, unstaged. Hooks and signing apply as to any commit. Afterwards the
checkout's index takes the run's files from the new HEAD, so they do not show as changed.

Without ``add_first`` (files git knows, nobody else writing) ``git commit --only`` alone takes
the files from the tree as it starts. The message is read from a file and the paths from
standard input, so a run of thousands of updates is not bounded by the command line (one
argument may hold 128 KiB at most).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from typing import TYPE_CHECKING

from automator.errors import GitError
from automator.git.command import chunked, literal, pathspec_input

if TYPE_CHECKING:
    from automator.git.workspace import Workspace

UNKNOWN_PATH = "did not match any file(s) known to git"  # `git commit -- PATH` of an untracked PATH
FROM_STDIN = ("--pathspec-from-file=-", "--pathspec-file-nul")
IN_PROGRESS = {"MERGE_HEAD": "merge", "CHERRY_PICK_HEAD": "cherry-pick", "REVERT_HEAD": "revert"}  # in the git dir


def commit_files(ws: Workspace, files: list[str], message: str, author: str, *, add_first: bool) -> str:
    """Commit ``files`` (paths from the root) with ``message``; return the new HEAD.
    ``add_first``: stage them (they may be new to git) in the run's own index and commit that;
    otherwise ``git commit --only`` them, staging them so only when git does not know one."""
    fd, message_file = tempfile.mkstemp(prefix="automator-message-", dir=ws.git_dir)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape") as handle:
            handle.write(message)
        commit = (*ws.defer_maintenance(), "commit", "--quiet", "--cleanup=whitespace", f"--author={author}", "-F", message_file)
        if not add_first:
            status, _, err = ws.try_git(*commit, "--only", *FROM_STDIN, stdin=pathspec_input(files))
            if status == 0:
                return ws.head()
            if UNKNOWN_PATH not in err:
                raise GitError(f"git commit failed in {ws.root}: {err.strip() or f'exit status {status}'}")
        return _commit_staged_apart(ws, files, commit)
    finally:
        os.unlink(message_file)


def _commit_staged_apart(ws: Workspace, files: list[str], commit: tuple[str, ...]) -> str:
    """``commit`` of HEAD plus ``files`` as ``git add`` reads them now, through an index of the
    run's own; then the checkout's index entries of ``files`` are those of the new HEAD.
    Refused while a merge, cherry-pick or revert is under way, as git refuses a partial commit
    then: a commit would take its second parent and end it, the rest of it uncommitted."""
    under_way = [name for name in IN_PROGRESS if (ws.git_dir / name).exists()]
    if under_way:
        raise GitError(
            f"cannot commit the run's files in {ws.root}: a {IN_PROGRESS[under_way[0]]} is in progress",
            hint=f"finish it (git {IN_PROGRESS[under_way[0]]} --continue) or abort it, then run again",
        )
    fd, index_file = tempfile.mkstemp(prefix="automator-index-", dir=ws.git_dir)
    os.close(fd)
    os.unlink(index_file)  # git writes it anew (an empty file is no index to git)
    private = {"GIT_INDEX_FILE": index_file}
    try:
        # HEAD's tree, with the stat data of the checkout's index where it matches HEAD (so that
        # the commit need not hash every file again); nothing the user staged
        status, _, _ = ws.try_git("read-tree", "-m", f"--index-output={index_file}", "HEAD")
        if status != 0:  # the checkout's index is in conflict: HEAD's tree alone
            ws.git("read-tree", "HEAD", env=private)
        for chunk in chunked([literal(name) for name in files]):
            ws.git("add", "--", *chunk, env=private)
        ws.git(*commit, env=private)
    finally:
        for leftover in (index_file, f"{index_file}.lock"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(leftover)
    ws.git("reset", "--quiet", *FROM_STDIN, stdin=pathspec_input(files))
    return ws.head()
