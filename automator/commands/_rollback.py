"""All or nothing for ``automator update``: an interrupted update puts every file back.

Before each file is replaced (the ``before_write`` hook of :func:`automator.run.write_plan`)
its original bytes are kept in a private temporary directory. When SIGINT or SIGTERM stops the
update, every file that still holds exactly what the update wrote gets its original bytes back
(a file the update created is removed); a file that holds anything else was changed by someone
else meanwhile and is left as it is, and named.

Files may be written by forked workers (:func:`automator.parallel.parallel_map`), so the
records are kept on disk, not in memory: one journal per process, appended to (a file per
written manifest would double the files an update creates, and creating files is most of
its cost). A record is a JSON line (the path, whether the update creates the file, the
digest of the new bytes, the length of the original) followed by the original bytes; it is
written whole before the file is replaced, so a record cut short is of a file never replaced.

Files are put back the way the update writes them (:func:`automator.manifest.writefile.replace_bytes`:
owner, group, mode and hard links kept), and a temporary file of the update's left beside a
recorded file (``.NAME.XXXXXXXX.tmp``, made since the update began: a writer stopped before it
could remove it) is removed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from automator.interrupts import signals_waiting
from automator.manifest.writefile import replace_bytes

CLOCK_SLACK = 2.0  # seconds: a temporary file this much older than the update may still be its own


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _content(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


class Rollback:
    """The original bytes of the files an update replaced, in journals in ``directory``."""

    def __init__(self, directory: Path, root: Path) -> None:
        self.directory, self.root = directory, root
        self.started = time.time()
        self._journals: dict[int, int] = {}  # process id -> the descriptor of its journal

    def record(self, path: Path, data: bytes) -> None:
        """Keep what ``path`` holds before ``data`` replaces it."""
        original = _content(path)
        entry = {"path": os.fsdecode(path), "created": original is None, "written": _digest(data),
                 "length": len(original or b"")}
        record = json.dumps(entry).encode("utf-8") + b"\n" + (original or b"")
        journal = self._journal()
        view = memoryview(record)
        while view:  # one record, whole, before the file is replaced
            view = view[os.write(journal, view):]

    def _journal(self) -> int:
        pid = os.getpid()
        if pid not in self._journals:  # a forked worker gets a journal of its own
            self._journals[pid] = os.open(self.directory / f"journal-{pid}", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        return self._journals[pid]

    def close(self) -> None:
        descriptor = self._journals.pop(os.getpid(), None)
        if descriptor is not None:
            os.close(descriptor)

    def restore(self) -> list[str]:
        """Put every recorded file back; what could not be put back, one line a file."""
        left, paths = [], set()
        for entry, original in self._records():
            paths.add(entry["path"])
            why = self._put_back(Path(entry["path"]), original, entry)
            if why:
                left.append(f"{self._name(entry['path'])}: {why}")
        for path in sorted(paths):
            self._remove_temporary_files(Path(path))
        return left

    def _remove_temporary_files(self, path: Path) -> None:
        """The update's temporary files beside ``path`` that a stopped writer left behind."""
        own = re.compile(rf"\.{re.escape(path.name)}\.[0-9a-f]{{8}}\.tmp")
        try:
            names = os.listdir(path.parent)
        except OSError:
            return
        for name in names:
            if own.fullmatch(name):
                temp = path.parent / name
                try:
                    if os.lstat(temp).st_mtime >= self.started - CLOCK_SLACK:
                        os.unlink(temp)
                except OSError:
                    pass

    def _records(self) -> Iterator[tuple[dict, bytes | None]]:
        for journal in sorted(self.directory.glob("journal-*")):
            data, at = journal.read_bytes(), 0
            while (end := data.find(b"\n", at)) != -1:
                try:
                    entry = json.loads(data[at:end])
                except ValueError:
                    break
                original = data[end + 1 : end + 1 + entry["length"]]
                if len(original) < entry["length"]:
                    break  # stopped while recording: that file was not replaced yet
                yield entry, None if entry["created"] else original
                at = end + 1 + entry["length"]

    def _put_back(self, path: Path, original: bytes | None, entry: dict) -> str:
        now = _content(path)
        if now == original:
            return ""  # never replaced
        if now is None or _digest(now) != entry["written"]:
            return "changed by something else since the update wrote it; left as it is"
        try:
            if original is None:
                os.unlink(path)
            else:
                replace_bytes(path, original)
        except OSError as error:
            return f"could not be put back ({error.strerror}); it holds the update"
        return ""

    def _name(self, path: str) -> str:
        return os.path.relpath(path, self.root) if path.startswith(os.fspath(self.root) + os.sep) else path


@contextmanager
def all_or_nothing(root: Path) -> Iterator[Rollback]:
    """A :class:`Rollback` whose ``record`` is the ``before_write`` of the writes inside the
    block; on an interrupt the files are put back before the interrupt goes on."""
    directory = Path(tempfile.mkdtemp(prefix="automator-update-"))
    rollback = Rollback(directory, Path(root))
    try:
        yield rollback
    except KeyboardInterrupt:
        with signals_waiting(deliver=False):  # unwinding an interrupt already: exit 130
            rollback.close()
            left = rollback.restore()
            shutil.rmtree(directory, ignore_errors=True)
        if left:
            sys.stderr.write("".join(f"warning: interrupted; not restored: {line}\n" for line in left))
        raise
    rollback.close()
    shutil.rmtree(directory, ignore_errors=True)
