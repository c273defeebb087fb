"""Replace a file atomically (the I/O edge of writing a patch).

A temporary file beside the target is created exclusively, written, given the target's
owner, group and mode and renamed over it, with plain system calls (no file object, no
``tempfile``): a reader sees the old bytes or the new ones, never a part. The temporary file
is removed whatever stops the write, a signal included (its name is known before it exists).

A file with several names (hard links) is overwritten instead, so that every name shows the
new bytes: a rename would give one name a new file and leave the others with the old one.
A link to something that is not a regular file (a device, a FIFO, a directory) is refused.

In a tree only the run itself reads (the tool's own clone, deleted after the run),
:func:`write_in_place` overwrites the file instead: no reader can see a part there, and a new
file per write is pure cost (on some file systems the largest part of a fleet's).
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable
from pathlib import Path

BeforeWrite = Callable[[Path, bytes], None]  # told (path, new bytes) before a file is replaced

_KINDS = ((stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a FIFO"),
          (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a directory"))


class NotRegularFile(OSError):
    """The path (or the file a link leads to) is not a regular file; nothing was written."""


def write_atomically(path: Path, text: str, before_write: BeforeWrite | None = None) -> None:
    """Replace ``path`` with ``text`` via a temporary file in the same directory, keeping its
    owner, group and mode (a file with several hard links is overwritten in place).

    Plain system calls: create the temporary file exclusively, write, set owner and mode, rename."""
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
    _check_regular(path, target, status)
    data = text.encode("utf-8")
    if before_write is not None:
        before_write(target, data)
    _replace(target, data, status)


def replace_bytes(path: Path, data: bytes) -> None:
    """Replace the existing file ``path`` with ``data`` as :func:`write_atomically` does."""
    _replace(Path(path), data, os.stat(path))


def _check_regular(path: Path, target: Path, status: os.stat_result | None) -> None:
    if status is None or stat.S_ISREG(status.st_mode):
        return
    kind = next((name for test, name in _KINDS if test(status.st_mode)), "not a regular file")
    code = errno.EISDIR if stat.S_ISDIR(status.st_mode) else errno.EINVAL
    if os.path.islink(path):
        raise NotRegularFile(code, f"it is a link to {target}, {kind}, not a regular file", os.fspath(path))
    raise NotRegularFile(code, f"it is {kind}, not a regular file", os.fspath(path))


def _replace(target: Path, data: bytes, status: os.stat_result | None) -> None:
    if status is not None and status.st_nlink > 1:
        _overwrite(target, data)  # every name of the file shows the new bytes
        return
    made: list[str] = []  # the temporary file's name, known before the file exists
    try:
        fd = _temporary(target, made)
        try:
            _write_all(fd, data)
            if status is not None:
                _keep_owner(fd, status)  # before the mode: a change of owner clears set-id bits
            os.fchmod(fd, status.st_mode & 0o7777 if status is not None else 0o644)  # a new file: rw-r--r--
        finally:
            os.close(fd)
        os.replace(made[0], target)
    except BaseException:
        for temp in made:  # no temporary file left behind, whatever stopped the write
            try:
                os.unlink(temp)
            except OSError:
                pass
        raise


def _keep_owner(fd: int, status: os.stat_result) -> None:
    """Give the new file the old one's owner and group; only the group, or neither, when that
    cannot be done: only root may give a file away, a group only to a member of it, and in a
    user namespace (a rootless container) an owner outside its map is EINVAL."""
    new = os.fstat(fd)
    if (new.st_uid, new.st_gid) == (status.st_uid, status.st_gid):
        return  # the usual case: the user's own file, nothing to ask the kernel
    for uid in (status.st_uid, -1):
        try:
            os.fchown(fd, uid, status.st_gid)
            return
        except OSError:  # EPERM, EINVAL (an unmapped id), ENOSYS/EOPNOTSUPP (file systems without owners)
            continue


_EXCLUSIVE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)


def _temporary(target: Path, made: list[str]) -> int:
    """A new file beside ``target`` (``.name.XXXXXXXX.tmp``), opened for writing; its name is
    in ``made`` from before it is created until an error says it was not."""
    for _ in range(100):
        made.append(os.path.join(target.parent, f".{target.name}.{os.urandom(4).hex()}.tmp"))
        try:
            return os.open(made[-1], _EXCLUSIVE, 0o600)
        except FileExistsError:
            made.pop()  # someone else's
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
        _put_back(fd, old.encode("utf-8"))
        raise
    finally:
        os.close(fd)


def _overwrite(path: Path, data: bytes) -> None:
    """Write ``data`` over the bytes of ``path`` (same file, same owner and mode); when the
    write fails, the old bytes are written back before the error is raised."""
    fd = os.open(path, os.O_RDWR | getattr(os, "O_CLOEXEC", 0))
    try:
        old = _read_all(fd)
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            _write_all(fd, data)
            os.ftruncate(fd, len(data))
        except OSError:
            _put_back(fd, old)
            raise
    finally:
        os.close(fd)


def _put_back(fd: int, old: bytes) -> None:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        os.ftruncate(fd, 0)
        _write_all(fd, old)
    except OSError:
        pass


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 1 << 16):
        chunks.append(chunk)
    return b"".join(chunks)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
