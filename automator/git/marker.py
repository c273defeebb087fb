"""The run marker: what a run in progress may have changed, kept in the git directory.

``<git-dir>/automator-run.json`` is written (atomically) before the run changes anything and
updated whenever it moves the checkout; ``<git-dir>/automator-run.files`` is an append-only
journal with one line per file the run writes, recorded *before* the file is replaced: the
blob id of what was there (``null`` when the run creates the file) and of what the run writes.
A run that finishes removes both; a run that was killed leaves them for the next run
(:mod:`automator.git.recovery`), which restores only files whose content is still exactly what
the killed run wrote.

Appending a line is atomic for the small lines written here, so forked workers that write
files in parallel can record into the same journal.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from automator.values import value_type

log = logging.getLogger(__name__)

MARKER = "automator-run.json"
LOCK_NAME = "automator.lock"
JOURNAL = "automator-run.files"
SCRATCH = "automator-scratch"  # temporary worktrees of runs (automator.git.scratch)
VERSION = 2


def blob_id(data: bytes, object_format: str = "sha1") -> str:
    """The id git gives ``data`` as a blob (``git hash-object`` without filters)."""
    digest = hashlib.new(object_format)
    digest.update(b"blob %d\0" % len(data))
    digest.update(data)
    return digest.hexdigest()


def is_object_id(text: str | None) -> bool:
    """Whether ``text`` is a full object id (SHA-1 or SHA-256, lowercase hex)."""
    return bool(text) and len(text) in (40, 64) and all(c in "0123456789abcdef" for c in text)  # type: ignore[union-attr]


def file_blob_id(path: Path, object_format: str = "sha1") -> str | None:
    """Blob id of the file's bytes; None when there is no regular file."""
    try:
        if path.is_symlink() or not path.is_file():
            return None
        return blob_id(path.read_bytes(), object_format)
    except OSError:
        return None


def process_start(pid: int) -> str:
    """When process ``pid`` started (clock ticks since boot), '' when unknown: a pid that is
    alive but started at another time belongs to another process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rpartition(")")[2].split()[19]


def process_alive(pid: int, start: str = "") -> bool:
    """True when ``pid`` runs and (when both are known) started at ``start``."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    if start:
        now = process_start(pid)
        return not now or now == start
    return True


@value_type
class RunMarker:
    """What a run in progress may have changed (saved before it changes anything)."""

    original: str  # branch name, or a commit id when HEAD was detached
    base: str  # the commit the run's own commit (if any) sits on
    scan: str  # scanned path relative to the root
    detached: bool  # the run works on a detached HEAD (another branch)
    start: str = ""  # HEAD when the run started
    commits: tuple[str, ...] = ()  # every commit the run moved (or was moving) the checkout to
    pid: int = 0
    pid_start: str = ""
    started: float = 0.0  # wall clock (seconds since the epoch) when the run began
    object_format: str = "sha1"
    version: int = VERSION

    def moved_to(self, commit: str) -> RunMarker:
        """The marker after deciding to move the checkout to ``commit`` (recorded first)."""
        from dataclasses import replace

        known = self.commits if commit in self.commits else (*self.commits, commit)
        return replace(self, commits=known)

    @property
    def process_gone(self) -> bool:
        return not process_alive(self.pid, self.pid_start)

    @classmethod
    def starting(cls, scan: str) -> RunMarker:
        """The marker before the run has looked at anything: it only claims the git lock files
        that the run's first git commands may leave (``git status`` refreshes the index)."""
        pid = os.getpid()
        return cls(original="", base="", scan=scan, detached=False, pid=pid, pid_start=process_start(pid), started=time.time())

    @classmethod
    def begin(cls, original: str, head: str, scan: str, detached: bool, object_format: str) -> RunMarker:
        pid = os.getpid()
        return cls(
            original=original, base=head, scan=scan, detached=detached, start=head, commits=(head,),
            pid=pid, pid_start=process_start(pid), started=time.time(), object_format=object_format,
        )


@value_type
class JournalEntry:
    path: str  # relative to the repository root, POSIX spelling
    before: str | None  # blob id of the content replaced; None: the run created the file
    after: str  # blob id of the content written


@dataclass
class Journal:
    """The append-only record of the files a run writes (picklable: forked workers use it)."""

    git_dir: Path
    root: Path
    object_format: str = "sha1"
    entries: list[JournalEntry] = field(default_factory=list, repr=False)

    @property
    def path(self) -> Path:
        return self.git_dir / JOURNAL

    def record(self, path: Path, data: bytes) -> None:
        """Note that ``data`` is about to replace ``path`` (call before writing it)."""
        rel = Path(os.path.relpath(Path(path).absolute(), self.root)).as_posix()
        entry = JournalEntry(rel, file_blob_id(Path(path), self.object_format), blob_id(data, self.object_format))
        line = json.dumps(asdict(entry), separators=(",", ":")) + "\n"
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)

    def record_written(self, paths: Iterable[str]) -> None:
        """After the fact, for writers that could not record first: what the files hold now."""
        for rel in paths:
            target = self.root / rel
            data = target.read_bytes() if target.is_file() else None
            if data is not None:
                entry = JournalEntry(rel, None, blob_id(data, self.object_format))
                with open(self.path, "a", encoding="utf-8") as handle:
                    handle.write(json.dumps({**asdict(entry), "before": "unknown"}, separators=(",", ":")) + "\n")

    def read(self) -> list[JournalEntry]:
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        entries = []
        for line in lines:
            try:
                raw = json.loads(line)
                entries.append(JournalEntry(str(raw["path"]), raw.get("before"), str(raw["after"])))
            except (ValueError, KeyError, TypeError):  # a line cut by the kill: the write after it never happened
                continue
        return entries


def save(git_dir: Path, marker: RunMarker) -> None:
    tmp = git_dir / (MARKER + ".tmp")
    tmp.write_text(json.dumps(asdict(marker)))
    os.replace(tmp, git_dir / MARKER)


def load(git_dir: Path) -> RunMarker | None:
    """The marker of an interrupted run; a marker of an older version is read as far as it goes."""
    try:
        raw = json.loads((git_dir / MARKER).read_text())
    except FileNotFoundError:
        return None
    except ValueError:
        log.warning("ignoring unreadable %s", git_dir / MARKER)
        return None
    if not isinstance(raw, dict) or not {"original", "base", "scan", "detached"} <= raw.keys():
        log.warning("ignoring unreadable %s", git_dir / MARKER)
        return None
    known = {name: raw[name] for name in RunMarker.__dataclass_fields__ if name in raw}
    known["commits"] = tuple(known.get("commits") or (c for c in (raw.get("start"), raw["base"]) if c))
    known.setdefault("version", 1)
    return RunMarker(**known)


def clear(git_dir: Path) -> None:
    (git_dir / JOURNAL).unlink(missing_ok=True)
    (git_dir / MARKER).unlink(missing_ok=True)
