"""Logs are one line per event with a level; progress is drawn only for a person at a terminal."""

from __future__ import annotations

import io
import logging

import pytest

from automator import log
from automator.errors import register_secret


@pytest.fixture
def captured():
    stream = io.StringIO()
    saved = logging.getLogger().handlers[:], logging.getLogger().level
    yield stream
    logging.getLogger().handlers[:], level = saved
    logging.getLogger().setLevel(level)


@pytest.mark.parametrize(
    ("verbose", "quiet", "level"),
    [(0, False, logging.WARNING), (1, False, logging.INFO), (2, False, logging.DEBUG), (5, False, logging.DEBUG), (2, True, logging.ERROR)],
)
def test_verbosity_maps_to_levels(verbose, quiet, level):
    assert log.level_for(verbose, quiet) == level


def test_each_event_is_one_line_with_level_and_logger_name(captured):
    log.configure(verbose=1, stream=captured)
    logging.getLogger("automator.run").info("first\nsecond")
    logging.getLogger("automator.run").debug("hidden at -v")
    lines = captured.getvalue().splitlines()
    assert len(lines) == 1
    assert lines[0].endswith("INFO    automator.run: first | second")


def test_tracebacks_stay_on_the_event_line_and_secrets_are_scrubbed(captured):
    register_secret("tok-9f8e7d6c")
    log.configure(stream=captured)
    try:
        raise RuntimeError("bad tok-9f8e7d6c")
    except RuntimeError:
        logging.getLogger("automator").exception("failed")
    (line,) = captured.getvalue().splitlines()
    assert "ERROR   automator: failed | Traceback" in line
    assert "tok-9f8e7d6c" not in line and "RuntimeError: bad ***" in line


class Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize(
    ("stream", "ci", "quiet", "draws"),
    [
        (Terminal(), None, False, True),
        (Terminal(), "github", False, False),
        (Terminal(), None, True, False),
        (io.StringIO(), None, False, False),
    ],
)
def test_progress_is_drawn_only_on_a_terminal_outside_ci_and_not_quiet(stream, ci, quiet, draws):
    with log.progress(ci=ci, quiet=quiet, stream=stream) as callback:
        assert isinstance(callback, log.Progress) is draws
        assert isinstance(callback, log.Ticker) is (not draws and not quiet)


def test_progress_without_a_terminal_is_an_info_line_every_10_s_of_long_work(captured):
    log.configure(stream=captured)  # shown by default: CI logs show the job is alive
    now = [0.0]
    ticker = log.Ticker(clock=lambda: now[0])
    ticker("listing tags: 1/40 repositories, 3 registries")  # short work: nothing
    now[0] = 9.0
    ticker("listing tags: 12/40 repositories, 3 registries")
    assert captured.getvalue() == ""
    now[0] = 10.5
    ticker.tick()  # the timer thread, while nothing else happens
    now[0] = 15.0
    ticker("listing tags: 30/40 repositories, 3 registries")
    now[0] = 21.0
    ticker.tick()
    lines = captured.getvalue().splitlines()
    assert [line.split("automator.progress: ")[1] for line in lines] == [
        "listing tags: 12/40 repositories, 3 registries", "listing tags: 30/40 repositories, 3 registries"]
    assert all(" INFO " in line for line in lines)


def test_quiet_silences_progress_lines(captured):
    log.configure(quiet=True, stream=captured)
    log.log_progress("listing tags: 12/40 repositories, 3 registries")
    assert captured.getvalue() == ""


def test_no_color_redraws_the_terminal_line_without_escape_sequences():
    stream = Terminal()
    progress = log.Progress(stream, delay=0.0, no_color=True)
    progress("listing tags: 12/40 repositories, 3 registries")
    progress("listing tags: 40/40")
    progress.close()
    assert "\x1b" not in stream.getvalue()
    assert stream.getvalue().startswith("\rlisting tags: 12/40 repositories, 3 registries\rlisting tags: 40/40 ")


def test_progress_stays_silent_for_short_scans_then_redraws_one_line_and_erases_it():
    now = [0.0]
    stream = Terminal()
    progress = log.Progress(stream, delay=1.0, clock=lambda: now[0])
    progress("read 1000 files")
    assert stream.getvalue() == ""
    now[0] = 2.0
    progress("12 automated images in 5 repositories")
    progress.close()
    assert stream.getvalue() == "\r12 automated images in 5 repositories\x1b[K\r\x1b[K"


def test_progress_line_is_erased_when_planning_ends():
    stream = Terminal()
    with log.progress(stream=stream) as callback:
        callback.started -= 10
        callback("listing tags")
    assert stream.getvalue().endswith("\r\x1b[K")
