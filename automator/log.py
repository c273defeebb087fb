"""Logging: one line per event with its level, secrets scrubbed; progress only on a terminal.

``configure(verbose, quiet)`` sets the root logger: WARNING by default (quiet in CI, where
the plan itself is the output), INFO with ``-v``, DEBUG with ``-vv``, ERROR with ``-q``.
A message with newlines is folded onto one line so that log processors see one event.

``with progress(ci=ctx.ci, quiet=...) as callback`` gives the ``make_plan(progress=...)``
callback: the message redrawn in place on a terminal, INFO log lines in CI or when piped.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TextIO

from automator.errors import scrub

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
DATE_FORMAT = "%Y-%m-%dT%H:%M:%S"


@dataclass(frozen=True)
class LogSettings:
    """``-v`` (repeatable) and ``-q`` of every command."""

    verbose: int = 0
    quiet: bool = False


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
    """The latest progress message redrawn in place on one line; silent for the first
    ``delay`` seconds, so short scans never draw anything. ``close()`` erases the line."""

    def __init__(self, stream: TextIO, *, delay: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self.delay = delay
        self.clock = clock
        self.started = clock()
        self.drawn = False

    def __call__(self, message: str) -> None:
        if self.clock() - self.started < self.delay:
            return
        self.stream.write(f"\r{scrub(message)[:78]}\x1b[K")
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.drawn = False


def log_progress(message: str) -> None:
    """Progress as INFO log lines (shown with ``-v``): the form for CI and pipes."""
    logging.getLogger("automator.progress").info("%s", message)


@contextmanager
def progress(*, ci: str | None = None, quiet: bool = False, stream: TextIO | None = None) -> Iterator[Callable[[str], None]]:
    """The ``progress`` callback for ``make_plan``: redrawn in place when a person watches a
    terminal (never in CI), otherwise one INFO line per message; erased afterwards."""
    stream = stream or sys.stderr
    isatty = getattr(stream, "isatty", None)
    if quiet or ci or not (isatty and isatty()):
        yield log_progress
        return
    drawer = Progress(stream)
    try:
        yield drawer
    finally:
        drawer.close()
