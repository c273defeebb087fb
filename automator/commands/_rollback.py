"""All or nothing for ``automator update``: an interrupted update puts every file back.

Before each file is replaced (the ``before_write`` hook of :func:`automator.run.write_plan`)
its original bytes are kept in a private temporary directory. When SIGINT or SIGTERM stops the
update, every file that still holds exactly what the update wrote gets its original bytes back
(a file the update created is removed); a file that holds anything else was changed by someone
else meanwhile and is left as it is, and named.

Files may be written by forked workers (:func:`automator.parallel.parallel_map`), so a record
is kept on disk, not in memory: the original bytes first (``KEY.old``, none for a file the
update creates), then ``KEY.json`` with the path and the digest of the new bytes. A record
without its JSON is of a file that was never replaced.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _content(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


class Rollback:
    """The original bytes of the files an update replaced, in ``directory``."""

    def __init__(self, directory: Path, root: Path) -> None:
        self.directory, self.root = directory, root

    def record(self, path: Path, data: bytes) -> None:
        """Keep what ``path`` holds before ``data`` replaces it."""
        key = _digest(os.fsencode(path))
        original = _content(path)
        if original is not None:
            (self.directory / f"{key}.old").write_bytes(original)
        entry = {"path": os.fsdecode(path), "created": original is None, "written": _digest(data)}
        (self.directory / f"{key}.json").write_text(json.dumps(entry), encoding="utf-8")

    def restore(self) -> list[str]:
        """Put every recorded file back; what could not be put back, one line a file."""
        left = []
        for record in sorted(self.directory.glob("*.json")):
            try:
                entry = json.loads(record.read_text(encoding="utf-8"))
            except ValueError:  # stopped while recording: the file was not replaced yet
                continue
            why = self._put_back(Path(entry["path"]), record.with_suffix(".old"), entry)
            if why:
                left.append(f"{self._name(entry['path'])}: {why}")
        return left

    def _put_back(self, path: Path, kept: Path, entry: dict) -> str:
        original = None if entry["created"] else kept.read_bytes()
        now = _content(path)
        if now == original:
            return ""  # never replaced
        if now is None or _digest(now) != entry["written"]:
            return "changed by something else since the update wrote it; left as it is"
        try:
            if original is None:
                os.unlink(path)
            else:
                _replace_bytes(path, original)
        except OSError as error:
            return f"could not be put back ({error.strerror}); it holds the update"
        return ""

    def _name(self, path: str) -> str:
        return os.path.relpath(path, self.root) if path.startswith(os.fspath(self.root) + os.sep) else path


def _replace_bytes(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` through a temporary file beside it, keeping its mode."""
    mode = os.stat(path).st_mode & 0o7777
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


@contextmanager
def _signals_waiting() -> Iterator[None]:
    """SIGINT and SIGTERM change nothing while the files are put back (the exit is 130 anyway)."""
    signums = (signal.SIGINT, signal.SIGTERM)
    try:
        previous = [signal.signal(signum, lambda *_: None) for signum in signums]
    except ValueError:  # not the main thread: nothing to hold
        yield
        return
    try:
        yield
    finally:
        for signum, handler in zip(signums, previous, strict=True):
            signal.signal(signum, handler)


@contextmanager
def all_or_nothing(root: Path) -> Iterator[Rollback]:
    """A :class:`Rollback` whose ``record`` is the ``before_write`` of the writes inside the
    block; on an interrupt the files are put back before the interrupt goes on."""
    directory = Path(tempfile.mkdtemp(prefix="automator-update-"))
    rollback = Rollback(directory, Path(root))
    try:
        yield rollback
    except KeyboardInterrupt:
        with _signals_waiting():
            left = rollback.restore()
            shutil.rmtree(directory, ignore_errors=True)
        if left:
            sys.stderr.write("".join(f"warning: interrupted; not restored: {line}\n" for line in left))
        raise
    shutil.rmtree(directory, ignore_errors=True)
