"""Logging: one line per event with its level, secrets scrubbed; progress only on a terminal.

``configure(verbose, quiet)`` sets the root logger: WARNING by default (quiet in CI, where
the plan itself is the output), INFO with ``-v``, DEBUG with ``-vv``, ERROR with ``-q``.
A message with newlines is folded onto one line so that log processors see one event.

``with progress(ci=ctx.ci, quiet=..., no_color=...) as callback`` gives the
``make_plan(progress=...)`` callback: the message redrawn in place on a terminal (after the
first second), and in CI or when piped an INFO line with the latest message every 10 s of long
work (short work prints nothing). ``-q`` silences both. The tool writes no colour; with
``NO_COLOR`` set the terminal line is redrawn without any escape sequence.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from automator.errors import one_line, scrub
from automator.frozen import Frozen, set_field

# ``logging`` and ``threading`` are imported where they are used: a command that logs nothing
# (``automator select``) loads neither.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import logging
    import threading
    from typing import TextIO

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
DATE_FORMAT = "%Y-%m-%dT%H:%M:%S"


class LogSettings(Frozen):
    """``-v`` (repeatable) and ``-q`` of every command; ``no_color`` when ``NO_COLOR`` is set."""

    __slots__ = ("verbose", "quiet", "no_color")
    verbose: int
    quiet: bool
    no_color: bool

    def __init__(self, verbose: int = 0, quiet: bool = False, no_color: bool = False) -> None:
        set_field(self, "verbose", verbose)
        set_field(self, "quiet", quiet)
        set_field(self, "no_color", no_color)


class OneLineFormatter:
    """Scrubs secrets and folds newlines (tracebacks included) into `` | ``-separated text.

    The fields are laid out by the ``logging.Formatter`` it holds (``FORMAT`` by default)."""

    def __init__(self, fmt: str = FORMAT, datefmt: str | None = DATE_FORMAT) -> None:
        import logging

        self.fields = logging.Formatter(fmt, datefmt)

    def format(self, record: logging.LogRecord) -> str:
        return one_line(scrub(self.fields.format(record)))


def level_for(verbose: int, quiet: bool) -> int:
    import logging

    if quiet:
        return logging.ERROR
    return (logging.WARNING, logging.INFO, logging.DEBUG)[min(max(verbose, 0), 2)]


def configure(verbose: int = 0, quiet: bool = False, *, stream: TextIO | None = None) -> None:
    import logging

    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(OneLineFormatter(FORMAT, DATE_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level_for(verbose, quiet))
    for noisy in ("urllib3", "git", "github", "gitlab"):
        logging.getLogger(noisy).setLevel(max(root.level, logging.WARNING))
    # progress lines (every 10 s of long work, without a terminal) show unless -q
    logging.getLogger("automator.progress").setLevel(min(root.level, logging.INFO) if not quiet else logging.ERROR)


class Progress:
    """The latest progress message redrawn in place on one line; silent for the first
    ``delay`` seconds, so short scans never draw anything. ``close()`` erases the line."""

    def __init__(self, stream: TextIO, *, delay: float = 1.0, clock: Callable[[], float] = time.monotonic,
                 no_color: bool = False) -> None:
        self.stream = stream
        self.delay = delay
        self.clock = clock
        self.no_color = no_color  # NO_COLOR: not a single escape sequence, spaces erase instead
        self.started = clock()
        self.drawn = 0

    def __call__(self, message: str) -> None:
        if self.clock() - self.started < self.delay:
            return
        text = scrub(message)[:78]
        if self.no_color:
            self.stream.write(f"\r{text.ljust(self.drawn)}")
        else:
            self.stream.write(f"\r{text}\x1b[K")
        self.stream.flush()
        self.drawn = max(len(text), 1)

    def close(self) -> None:
        if self.drawn:
            self.stream.write(f"\r{' ' * self.drawn}\r" if self.no_color else "\r\x1b[K")
            self.stream.flush()
            self.drawn = 0


class Ticker:
    """Progress without a terminal: the latest message as an INFO line every ``interval``
    seconds of long work, so a CI log shows the job is alive; work shorter than that prints
    nothing. :meth:`tick` is called by each message and by a timer thread."""

    def __init__(self, emit: Callable[[str], None] | None = None, *, interval: float = 10.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.emit = emit or log_progress
        self.interval = interval
        self.clock = clock
        self.latest: str | None = None
        self.last = clock()
        import threading

        self._lock = threading.Lock()

    def __call__(self, message: str) -> None:
        self.latest = message
        self.tick()

    def tick(self) -> None:
        with self._lock:
            now = self.clock()
            if self.latest is None or now - self.last < self.interval:
                return
            self.last = now
            message = self.latest
        self.emit(message)

    def run(self, stop: threading.Event) -> None:
        while not stop.wait(min(self.interval, 1.0)):
            self.tick()


def log_progress(message: str) -> None:
    """Progress as INFO log lines, the form for CI and pipes: shown without ``-v`` (a live job
    log shows the job is alive), silenced by ``-q`` (:func:`configure`)."""
    import logging

    logging.getLogger("automator.progress").info("%s", message)


def _silent(message: str) -> None:
    pass


@contextmanager
def progress(*, ci: str | None = None, quiet: bool = False, stream: TextIO | None = None,
             no_color: bool = False) -> Iterator[Callable[[str], None]]:
    """The ``progress`` callback for ``make_plan`` (and the registry listing): redrawn in place
    when a person watches a terminal (never in CI), otherwise an INFO line every 10 s of long
    work; nothing with ``quiet``; the terminal line is erased afterwards."""
    stream = stream or sys.stderr
    isatty = getattr(stream, "isatty", None)
    if quiet:
        yield _silent
        return
    if ci or not (isatty and isatty()):
        import threading

        ticker = Ticker()
        stop = threading.Event()
        timer = threading.Thread(target=ticker.run, args=(stop,), name="progress", daemon=True)
        timer.start()
        try:
            yield ticker
        finally:
            stop.set()
        return
    drawer = Progress(stream, no_color=no_color)
    try:
        yield drawer
    finally:
        drawer.close()
