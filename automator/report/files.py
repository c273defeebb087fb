"""Report files (``--markdown FILE``, ``--dotenv FILE``): written whole or not at all.

A report is for other CI steps and people to read, so a new file gets the mode any new file
gets (``0666`` less the umask: ``0644`` under the usual ``022``); a file that is replaced keeps
its mode. Only regular files are written: a device, FIFO, socket, directory or symbolic link
at the path is refused with its name, so a report never writes through a link or into a pipe.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from automator.errors import AutomatorError


class ReportError(AutomatorError):
    """A report file could not be written (the run itself is unaffected)."""


def write_report(path: str | os.PathLike[str], text: str) -> None:
    """Replace ``path`` with ``text`` through a temporary file beside it; :class:`ReportError`
    names the file when that fails, and no temporary file is left behind."""
    target = Path(path)
    mode = _mode_for(target)
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as error:
        raise _failed(target, error) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            os.fchmod(handle.fileno(), mode)
        os.replace(temp, target)
    except OSError as error:
        Path(temp).unlink(missing_ok=True)
        raise _failed(target, error) from None


def write_reports_to(targets: Iterable[tuple[str | None, Callable[[], str]]]) -> list[ReportError]:
    """Each ``(target, render)`` asked for: ``-`` printed on stdout, a path written whole (None:
    not asked for). One report that cannot be written stops no other: the failures are
    returned, for the command to raise or report after the rest of its work."""
    failed: list[ReportError] = []
    for target, render in targets:
        if target == "-":
            sys.stdout.write(render())
        elif target:
            try:
                write_report(target, render())
            except ReportError as error:
                failed.append(error)
    return failed


def _mode_for(target: Path) -> int:
    """The mode the report gets: the existing file's, or a new file's under the umask."""
    try:
        info = target.lstat()
    except FileNotFoundError:
        return 0o666 & ~current_umask()
    except OSError as error:
        raise _failed(target, error) from None
    if not stat.S_ISREG(info.st_mode):
        raise ReportError(
            f"cannot write the report {target}: it is {_kind(info.st_mode)}, not a regular file",
            hint="name a new or regular file for the report (use '-' for standard output where offered)",
        )
    return stat.S_IMODE(info.st_mode)


def current_umask() -> int:
    """The process umask, read without changing it where Linux tells it (``/proc``)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _kind(mode: int) -> str:
    kinds = ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"),
             (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def _failed(target: Path, error: OSError) -> ReportError:
    return ReportError(f"cannot write the report {target}: {error.strerror or error}",
                       hint="check that its directory exists and is writable")
