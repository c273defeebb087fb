"""Git network operations (fetch, push, clone, ls-remote) under a deadline, and the transports
the tool refuses.

Each network git process runs in its own process group; at its deadline the whole group
(``git`` and its remote helper) is killed and a :class:`GitTimeout` names the remote and the
deadline. The deadline comes from ``--retry-timeout``: a single hung push or fetch can never
outlast the run's retry budget. When the run is asked to stop, the main thread kills its own
(``KeyboardInterrupt``) and :func:`kill_in_flight` those of the worker threads, which then
raise :class:`automator.interrupts.Interrupted`. ``fd::`` and ``ext::`` URLs are refused
before git sees them: ``fd::`` talks over file descriptors the tool never has (git would
wait forever) and ``ext::`` runs an arbitrary command.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

from automator.errors import GitError, UsageError, scrub
from automator.git.credentials import split_url_credentials
from automator.interrupts import steps, stop_point

REFUSED_TRANSPORTS = ("fd", "ext")

_in_flight: set[subprocess.Popen] = set()  # the network git processes running now, in any thread
_in_flight_lock = threading.Lock()


class GitTimeout(GitError):
    """A git network operation did not finish before its deadline and was stopped."""


def check_transport(url: str, *, what: str = "the remote") -> None:
    """Refuse URLs whose transport cannot work unattended (``fd::``, ``ext::``)."""
    scheme, sep, _ = url.partition("::")
    if sep and scheme.lower() in REFUSED_TRANSPORTS:
        raise UsageError(
            f"{what} {scheme}::... uses git's '{scheme}' transport, which cannot be used here"
            + (" (it talks over inherited file descriptors and would wait forever)" if scheme.lower() == "fd" else " (it runs an arbitrary command)"),
            hint="use an https://, ssh:// or file:// URL, a host:path SSH address, or a local path",
        )


def shown_url(url: str) -> str:
    """The URL without credentials, for messages."""
    return scrub(split_url_credentials(url)[0])


def child_environment(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a git process: ours, with ``env`` (credentials, identity) on top."""
    return {**os.environ, **(env or {})}


def run_git(
    args: Sequence[str],
    *,
    timeout: float,
    what: str,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    deadline: str = "",
) -> tuple[int, str, str]:
    """Run ``git ARGS`` and return (status, stdout, stderr); kill it (with its children) and
    raise :class:`GitTimeout` when it runs past ``timeout`` seconds. ``what`` names the
    operation and the remote for that message (``"git push to origin (https://...)"``),
    ``deadline`` where the limit comes from (``"the --retry-timeout deadline of 120 s"``)."""
    timeout = max(float(timeout), 0.1)
    stop_point()  # a stopping run starts no more network operations
    process = subprocess.Popen(
        ["git", *args],
        cwd=cwd,
        env=child_environment(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
        start_new_session=True,
    )
    with _in_flight_lock:
        _in_flight.add(process)
    try:
        stop_point()  # asked to stop since the check above: kill_in_flight may have missed it
        out, err = _communicate(process, timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        raise GitTimeout(
            f"{what} did not finish within {deadline or f'its {timeout:.3g} s deadline'} and was stopped",
            hint="the remote accepted the connection but did not answer; check it, or raise --retry-timeout",
        ) from None
    except BaseException:
        _kill_group(process)
        raise
    finally:
        with _in_flight_lock:
            _in_flight.discard(process)
    stop_point()  # killed by kill_in_flight, or finished as the run was asked to stop
    return process.returncode, out, err


def _communicate(process: subprocess.Popen, timeout: float) -> tuple[str, str]:
    """``process.communicate(timeout=timeout)`` in short steps: a signal the kernel handed to
    another thread is handled by the main thread only once it wakes up."""
    for step in steps(timeout):
        try:
            return process.communicate(timeout=step)
        except subprocess.TimeoutExpired:
            pass
    raise subprocess.TimeoutExpired(process.args, timeout)


def kill_in_flight() -> None:
    """Kill every network git process running now (with its children): a stopping run's
    worker threads then see their clone, fetch or push end and stop."""
    with _in_flight_lock:
        running = list(_in_flight)
    for process in running:
        _signal_group(process)


def _signal_group(process: subprocess.Popen) -> None:
    """SIGKILL to the process's group (git and its remote helper), gone or not."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _kill_group(process: subprocess.Popen) -> None:
    _signal_group(process)
    try:
        process.communicate(timeout=5)
    except (subprocess.TimeoutExpired, ValueError, OSError):
        pass
