"""Signals as the kernel may deliver them: to any thread of a process, not only its main one."""

from __future__ import annotations

import ctypes
import os
import platform
import signal

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
