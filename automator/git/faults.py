"""Fault injection points for the crash-recovery tests.

``AUTOMATOR_TEST_KILL_AT=<point>`` makes the process kill itself (SIGKILL, no clean-up) when it
reaches ``<point>``; ``AUTOMATOR_TEST_WAIT_AT=<point>`` with ``AUTOMATOR_TEST_WAIT_FILE=<f>``
creates ``<f>.reached`` at the point and waits until ``<f>`` exists. Points: ``after-apply``,
``after-commit``, ``before-push``, ``rebase-conflict``.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from automator.context import Context

POINTS = ("after-apply", "after-commit", "before-push", "rebase-conflict")


def checkpoint(ctx: Context, point: str) -> None:
    if ctx.get("AUTOMATOR_TEST_KILL_AT") == point:
        os.kill(os.getpid(), signal.SIGKILL)
    wait_file = ctx.get("AUTOMATOR_TEST_WAIT_FILE")
    if wait_file and ctx.get("AUTOMATOR_TEST_WAIT_AT") == point:
        Path(wait_file + ".reached").touch()
        deadline = time.monotonic() + 60
        while not Path(wait_file).exists() and time.monotonic() < deadline:
            time.sleep(0.02)
