"""Logging: one line per event with its level, secrets scrubbed; progress only on a terminal.

``configure(verbose, quiet)`` sets the root logger: WARNING by default (quiet in CI, where
the plan itself is the output), INFO with ``-v``, DEBUG with ``-vv``, ERROR with ``-q``.
A message with newlines is folded onto one line so that log processors see one event.

``progress_reporter(stream, ctx)`` returns a callback for ``make_plan(progress=...)`` that
draws ``scanning 12/40`` on a terminal, and ``None`` in CI, when piped or when quiet.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import TextIO

from automator.errors import scrub

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
DATE_FORMAT = "%Y-%m-%dT%H:%M:%S"


class OneLineFormatter(logging.Formatter):
    """Scrubs secrets and folds newlines (tracebacks included) into `` | ``-separated text."""

    def format(self, record: logging.LogRecord) -> str:
        text = scrub(super().format(record))
        return " | ".join(part for part in text.splitlines() if part.strip())


def level_for(verbose: int, quiet: bool) -> int:
    if quiet:
        return logging.ERROR
    return (logging.WARNING, logging.INFO, logging.DEBUG)[min(max(verbose, 0), 2)]


def configure(verbose: int = 0, quiet: bool = False, *, stream: TextIO | None = None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(OneLineFormatter(FORMAT, DATE_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level_for(verbose, quiet))
    for noisy in ("urllib3", "git", "github", "gitlab"):
        logging.getLogger(noisy).setLevel(max(root.level, logging.WARNING))


class Progress:
    """A one-line counter redrawn in place; silent for the first ``delay`` seconds.

    Called as ``progress(done, total)`` or ``progress(done, total, label)``; short scans that
    finish within ``delay`` never draw anything. ``close()`` erases the line.
    """

    def __init__(self, stream: TextIO, *, delay: float = 1.0, clock=time.monotonic) -> None:
        self.stream = stream
        self.delay = delay
        self.clock = clock
        self.started = clock()
        self.drawn = False

    def __call__(self, done: int, total: int | None = None, label: str = "") -> None:
        if self.clock() - self.started < self.delay:
            return
        count = f"{done}/{total}" if total else str(done)
        text = f"scanning {count}{' ' + scrub(label) if label else ''}"[:78]
        self.stream.write(f"\r{text}\x1b[K")
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.drawn = False


def progress_reporter(stream: TextIO | None = None, *, ci: str | None = None, quiet: bool = False) -> Progress | None:
    """A progress callback when a person watches a terminal; None otherwise."""
    stream = stream or sys.stderr
    isatty = getattr(stream, "isatty", None)
    if quiet or ci or not (isatty and isatty()):
        return None
    return Progress(stream)
