"""What a checkout looks like to recovery (I/O): the marker, the journal, HEAD, the index,
the blobs of the paths involved in the commits the run recorded, locks and git processes."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from automator.git import marker as markers
from automator.git.command import chunked, literal
from automator.git.locks import git_processes, lock_files
from automator.git.marker import JournalEntry, RunMarker, file_blob_id
from automator.git.recovery import CLOCK_SLACK, FileState, Observed, TempFile
from automator.git.scratch import registered

if TYPE_CHECKING:
    from automator.git.workspace import Workspace


def wait_for_git(ws: Workspace, seconds: float) -> tuple[int, ...] | None:
    """Give git processes still working in the repository (a killed run's children finishing
    a hook or a push) up to ``seconds`` to end; the ones still there."""
    deadline = time.monotonic() + seconds
    while True:
        pids = git_processes(ws.root, ws.git_dir)
        if not pids or time.monotonic() >= deadline:
            return None if pids is None else tuple(pids)
        time.sleep(0.05)


def observe(ws: Workspace, *, wait: float = 10.0, own: bool = False) -> Observed:
    marker = markers.load(ws.git_dir)
    scratch = tuple(registered(ws.git_dir))
    rebase = ws.rebase_in_progress()
    if marker is None:
        return Observed(str(ws.root), None, rebase=rebase, scratch=scratch)
    gone = own or marker.process_gone
    pids = wait_for_git(ws, wait if gone else 0.0)
    journal = tuple(markers.Journal(ws.git_dir, ws.root, marker.object_format).read())
    head = ws.head(fresh=True)
    parents = tuple(ws.git("rev-list", "--parents", "-n", "1", head).split()[1:])
    changes: tuple[tuple[str, str | None], ...] = ()
    if len(parents) == 1:
        changes = tuple(_tree_changes(ws, parents[0], head))
    paths = {entry.path for entry in journal} | {path for path, _ in changes} | set(ws.changed_paths())
    commits = tuple(dict.fromkeys((*marker.commits, marker.base, marker.start)))
    files = _file_states(ws, sorted(paths), head, parents[0] if parents else None, commits, marker.object_format)
    return Observed(
        root=str(ws.root), marker=marker, journal=journal, process_gone=gone, head=head, head_parents=parents,
        head_changes=changes, branch=ws.current_branch(), rebase=rebase, locks=tuple(lock_files(ws.git_dir)),
        git_pids=pids, files=files, temp_files=tuple(_temp_files(ws, journal, marker)), scratch=scratch,
    )


def _tree_changes(ws: Workspace, old: str, new: str) -> list[tuple[str, str | None]]:
    out = ws.git("diff-tree", "-r", "-z", "--no-renames", old, new)
    fields = out.split("\0")
    changes = []
    for meta, path in zip(fields[0::2], fields[1::2], strict=False):
        parts = meta.split()
        if len(parts) >= 5:
            blob = parts[3]
            changes.append((path, None if set(blob) == {"0"} else blob))
    return changes


def _blobs_in(ws: Workspace, commit: str | None, paths: Sequence[str]) -> dict[str, str]:
    """Blob id of each of ``paths`` that ``commit`` has (one ``git ls-tree``, one a chunk of a long list)."""
    if not commit or not paths:
        return {}
    out = "\0".join(ws.git("ls-tree", "-r", "-z", "--full-tree", commit, "--", *chunk) for chunk in chunked(paths))
    found = {}
    for line in out.split("\0"):
        meta, _, path = line.partition("\t")
        parts = meta.split()
        if len(parts) == 3 and parts[1] == "blob":
            found[path] = parts[2]
    return found


def _index_blobs(ws: Workspace, paths: Sequence[str]) -> dict[str, str]:
    """Stage-0 blob of each path in the index; ``"unmerged"`` for a path in conflict."""
    if not paths:
        return {}
    out = "\0".join(
        ws.git("ls-files", "--stage", "-z", "--full-name", "--", *chunk) for chunk in chunked([literal(path) for path in paths])
    )
    found: dict[str, str] = {}
    for line in out.split("\0"):
        meta, _, path = line.partition("\t")
        parts = meta.split()
        if len(parts) == 3:
            found[path] = parts[1] if parts[2] == "0" and path not in found else "unmerged"
    return found


def _file_states(ws: Workspace, paths: Sequence[str], head: str, parent: str | None, commits: Sequence[str], object_format: str) -> tuple[FileState, ...]:
    in_head, in_parent, index = _blobs_in(ws, head, paths), _blobs_in(ws, parent, paths), _index_blobs(ws, paths)
    in_commits = [_blobs_in(ws, commit, paths) for commit in commits if commit]
    return tuple(
        FileState(
            path=path,
            worktree=file_blob_id(ws.root / path, object_format),
            head=in_head.get(path),
            parent=in_parent.get(path),
            index=index.get(path),
            in_commits=frozenset(blobs.get(path) for blobs in in_commits),
        )
        for path in paths
    )


def _temp_files(ws: Workspace, journal: Sequence[JournalEntry], marker: RunMarker) -> list[TempFile]:
    found = []
    for folder, name in {(str(Path(entry.path).parent), Path(entry.path).name) for entry in journal}:
        directory = ws.root / folder
        for candidate in directory.glob(f".{name}.*.tmp") if directory.is_dir() else ():
            try:
                stat = candidate.stat()
            except OSError:
                continue
            if stat.st_mtime >= marker.started - CLOCK_SLACK:
                found.append(TempFile(Path(os.path.relpath(candidate, ws.root)).as_posix(), stat.st_mtime))
    return sorted(found, key=lambda temp: temp.path)
