"""Signals as the kernel may deliver them: to any thread of a process, not only its main one."""

from __future__ import annotations

import ctypes
import os
import platform
import signal
import subprocess
import time
from collections.abc import Callable

import pytest


def signal_a_worker_thread(process) -> None:
    """SIGTERM to a thread of ``process`` other than its main thread, as the kernel may
    deliver a signal sent to the process (``tgkill``: x86-64 and arm64 Linux)."""
    number = {"x86_64": 234, "aarch64": 131}.get(platform.machine())
    if number is None:
        pytest.skip(f"tgkill's system call number is not known here ({platform.machine()})")
    threads = sorted(int(tid) for tid in os.listdir(f"/proc/{process.pid}/task") if int(tid) != process.pid)
    libc = ctypes.CDLL(None, use_errno=True)
    assert libc.syscall(number, process.pid, threads[-1], signal.SIGTERM) == 0, os.strerror(ctypes.get_errno())


def sigterm_once(process: subprocess.Popen, ready: Callable[[], bool], what: str,
                 send: Callable[[subprocess.Popen], None] | None = None, *, exit_within: float = 30) -> tuple[float, str]:
    """Wait (a minute at most) until ``ready()``, then SIGTERM ``process`` (``send(process)``:
    another way) and wait for it to exit; return (seconds from the signal to the exit, its
    stderr). ``what`` says what never happened when ``ready()`` stays false. The process is
    killed if it outlives ``exit_within``."""
    try:
        deadline = time.monotonic() + 60
        while not ready() and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.02)
        assert ready(), what
        signalled = time.monotonic()
        (send or (lambda p: p.send_signal(signal.SIGTERM)))(process)
        _, stderr = process.communicate(timeout=exit_within)
        return time.monotonic() - signalled, stderr
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
