"""Report files (``--markdown FILE``, ``--dotenv FILE``): written whole or not at all."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from automator.errors import AutomatorError


class ReportError(AutomatorError):
    """A report file could not be written (the run itself is unaffected)."""


def write_report(path: str | os.PathLike[str], text: str) -> None:
    """Replace ``path`` with ``text`` through a temporary file beside it; :class:`ReportError`
    names the file when that fails, and no temporary file is left behind."""
    target = Path(path)
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as error:
        raise _failed(target, error) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temp, target)
    except OSError as error:
        Path(temp).unlink(missing_ok=True)
        raise _failed(target, error) from None


def _failed(target: Path, error: OSError) -> ReportError:
    return ReportError(f"cannot write the report {target}: {error.strerror or error}",
                       hint="check that its directory exists and is writable")
