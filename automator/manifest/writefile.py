"""Replace a file atomically (the I/O edge of writing a patch).

A temporary file beside the target is created exclusively, written, given the target's
mode and renamed over it, with plain system calls (no file object, no ``tempfile``): a reader
sees the old bytes or the new ones, never a part.

In a tree only the run itself reads (the tool's own clone, deleted after the run),
:func:`write_in_place` overwrites the file instead: no reader can see a part there, and a new
file per write is pure cost (on some file systems the largest part of a fleet's).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

BeforeWrite = Callable[[Path, bytes], None]  # told (path, new bytes) before a file is replaced


def write_atomically(path: Path, text: str, before_write: BeforeWrite | None = None) -> None:
    """Replace ``path`` with ``text`` via a temporary file in the same directory, keeping the mode.

    Plain system calls: create the temporary file exclusively, write, set the mode, rename."""
    try:
        status = os.lstat(path)
    except FileNotFoundError:
        status = None
    if status is not None and not stat.S_ISLNK(status.st_mode) and before_write is None:
        target = Path(path)  # the file itself, wherever its directory really is
    else:
        target = Path(os.path.realpath(path))  # a link is replaced at its target; journals name real paths
        try:
            status = os.stat(target)
        except FileNotFoundError:
            status = None
    mode = status.st_mode & 0o7777 if status is not None else 0o644  # a new file: rw-r--r--
    data = text.encode("utf-8")
    if before_write is not None:
        before_write(target, data)
    fd, temp = _temporary(target)
    try:
        try:
            _write_all(fd, data)
            os.fchmod(fd, mode)
        finally:
            os.close(fd)
        os.replace(temp, target)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise


_EXCLUSIVE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)


def _temporary(target: Path) -> tuple[int, str]:
    """A new file beside ``target`` (``.name.XXXXXXXX.tmp``), opened for writing."""
    for _ in range(100):
        temp = os.path.join(target.parent, f".{target.name}.{os.urandom(4).hex()}.tmp")
        try:
            return os.open(temp, _EXCLUSIVE, 0o600), temp
        except FileExistsError:
            continue
    raise FileExistsError(f"{target.parent}: no free temporary name")


_IN_PLACE = os.O_WRONLY | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)


def write_in_place(path: Path, text: str, old: str) -> None:
    """Overwrite ``path`` (which holds ``old``) with ``text``, for a tree no one else reads.
    A link is replaced at its target by :func:`write_atomically`, as ever; when the write
    fails, ``old`` is written back before the error is raised."""
    try:
        fd = os.open(path, _IN_PLACE)
    except OSError as error:
        if os.path.islink(path) or isinstance(error, FileNotFoundError):  # a link, or a file to create
            write_atomically(path, text)
            return
        raise
    try:
        _write_all(fd, text.encode("utf-8"))
    except OSError:
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            os.ftruncate(fd, 0)
            _write_all(fd, old.encode("utf-8"))
        except OSError:
            pass
        raise
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
