"""Whether a checkout is fit to start a run from: nothing uncommitted where the run writes.

One ``git status`` answers both questions of a pushing run (changes in the scanned path, and
tracked changes anywhere, which a rebase would trip over). Untracked directories are named as
``dir/``, never walked. What the run writes into the checkout itself (its report files, its
health file, its registry cache: :attr:`automator.git.writer.WriteOptions.own_files`) is left
out of the question with ``:(exclude)`` pathspecs, so a looping run (``--every``) is not
refused by the report its first attempt wrote.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from automator.errors import UsageError

if TYPE_CHECKING:
    from automator.git.workspace import Workspace


def refuse_dirty(ws: Workspace, scan: str, whole_checkout: bool, own_files: Iterable[Path] = ()) -> None:
    """Raise :class:`UsageError` naming the uncommitted changes in ``scan`` (and, when the run
    needs ``whole_checkout`` clean, tracked changes anywhere); the run's ``own_files`` aside."""
    if ws.fresh:  # the tool's own clone, made a moment ago, nothing run in it yet: clean
        return
    excluded = own_pathspecs(ws.root, own_files)
    elsewhere: list[str] = []
    if whole_checkout:  # one look covers both questions
        # each untracked file where nothing else can be untracked (the tool's own clone)
        entries = ws.status(".", *excluded, untracked="all" if ws.own_clone else "normal")
        changed = [path for _, path in entries if within(path, scan)]
        elsewhere = [path for code, path in entries if code != "??"]
    else:
        changed = [path for _, path in ws.status(scan, *excluded, untracked="normal")]
    if changed:
        shown = ", ".join(changed[:5]) + (" ..." if len(changed) > 5 else "")
        raise UsageError(
            f"uncommitted changes in {scan} of {ws.root}: {shown}",
            hint="commit, stash or remove them first; automator commits only its own updates",
        )
    if elsewhere:
        raise UsageError(
            f"uncommitted changes in {ws.root}: {', '.join(elsewhere[:5])}",
            hint="pushing may need a rebase, which needs a clean checkout; commit or stash them, or use --no-push",
        )


def own_pathspecs(root: Path, own_files: Iterable[Path]) -> list[str]:
    """``:(exclude)`` pathspecs of those of ``own_files`` (files or directories) in ``root``."""
    specs = []
    for path in own_files:
        relative = os.path.relpath(Path(path).resolve(), root)
        if relative != "." and not relative.startswith(".." + os.sep) and relative != "..":
            specs.append(f":(exclude,literal){Path(relative).as_posix()}")
    return specs


def within(path: str, scan: str) -> bool:
    """Whether a path git status lists is in the scanned path (or an untracked directory,
    listed as ``dir/``, holds the scanned path)."""
    scan = scan.rstrip("/")
    return scan == "." or path == scan or path.startswith(scan + "/") or (path.endswith("/") and (scan + "/").startswith(path))
