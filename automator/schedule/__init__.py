"""Cron mode: run an attempt once (default) or every INTERVAL, with graceful stop and a health file.

``automator run --repo URL --every 5m --health-file /tmp/automator/health`` loops; without
``--every`` it runs once (the Kubernetes CronJob shape). Signals:

* Loop, SIGTERM between attempts: stop at once, exit 0.
* Loop, SIGTERM during an attempt that has not started pushing: abandon it at once (the git
  writer restores the checkout; nothing was written), stop, exit 0.
* Loop, SIGTERM during the push: let the push finish (bounded by the push retry limit), then
  stop with exit 0; a second SIGTERM abandons it (exit 130).
* Run once (a CronJob's pod), or SIGINT: abandon the attempt in flight
  (``KeyboardInterrupt`` unwinds it, the git writer restores the checkout), exit 130; the next
  scheduled run does the work again.

The health file is JSON written atomically at each attempt's start and end and every
``HEARTBEAT`` seconds while waiting: ``{"status", "exit_code", "attempt", "timestamp",
"time", "message", "pid"}``. ``automator health FILE --max-age 10m`` (also spelled
``python -m automator.schedule check FILE --max-age 10m``) exits 0 when it is fresh: a
liveness probe without HTTP.
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from automator.errors import AutomatorError, ExitCode, UsageError, scrub
from automator.interrupts import push_in_flight, steps
from automator.values import value_type

log = logging.getLogger(__name__)

HEARTBEAT = 30.0
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
STATUS_BY_CODE = {ExitCode.OK: "ok", ExitCode.PARTIAL: "partial"}


def parse_interval(text: str) -> float:
    """``30s``, ``5m``, ``1h``, ``1h30m``, ``2d`` or plain seconds (``90``) -> seconds > 0."""
    value = text.strip().lower()
    if re.fullmatch(r"\d+(?:\.\d+)?", value):
        seconds = float(value)
    elif re.fullmatch(r"(?:\d+(?:\.\d+)?[smhd])+", value):
        seconds = sum(float(n) * _UNITS[u] for n, u in re.findall(r"(\d+(?:\.\d+)?)([smhd])", value))
    else:
        raise UsageError(f"invalid interval {text!r}", hint="write it like 30s, 5m, 1h or 1h30m")
    if seconds <= 0:
        raise UsageError(f"invalid interval {text!r}: must be more than zero")
    return seconds


@value_type
class ScheduleSettings:
    """``every`` None: run once; ``health_file``: where the status is kept for probes."""

    every: float | None = None
    health_file: Path | None = None


# --- health file ------------------------------------------------------------------------------


def write_health(path: Path, status: str, *, exit_code: int | None = None, attempt: int = 0, message: str = "") -> None:
    now = time.time()
    record = {
        "status": status,
        "exit_code": exit_code,
        "attempt": attempt,
        "timestamp": now,
        "time": datetime.fromtimestamp(now, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "message": scrub(message),
        "pid": os.getpid(),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(record) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def check_health(path: Path, max_age: float, *, now: float | None = None, fail_on_failed: bool = False) -> tuple[bool, str]:
    """Whether the health file exists and was written less than ``max_age`` seconds ago (and,
    with ``fail_on_failed``, does not record a failed attempt)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, ValueError) as error:
        why = error.strerror if isinstance(error, OSError) and error.strerror else "not UTF-8 text"
        return False, f"{path}: unreadable health file ({why})"
    record, wrong = read_health_record(text)
    if record is None:
        return False, f"{path} is not a health record written by `automator run --health-file`: {wrong}"
    age = (time.time() if now is None else now) - record["timestamp"]
    summary = f"{path}: {record.get('status')} {age:.0f}s ago (attempt {record.get('attempt')})"
    if fail_on_failed and age <= max_age and record.get("status") == "failed":
        return False, f"{summary}; the last attempt failed"
    return age <= max_age, summary


def read_health_record(text: str) -> tuple[dict | None, str]:
    """The record ``write_health`` wrote (its ``timestamp`` a number), or None and what is wrong."""
    try:
        record = json.loads(text)
    except ValueError:
        return None, "not JSON"
    if not isinstance(record, dict):
        return None, f"a JSON {type(record).__name__}, not an object"
    stamp = record.get("timestamp")
    if isinstance(stamp, bool) or not isinstance(stamp, (int, float)) or stamp != stamp or abs(stamp) == float("inf"):
        return None, "no numeric `timestamp`"
    return record, ""


# --- the loop ---------------------------------------------------------------------------------


def exit_code_of(error: Exception, *, looping: bool) -> int:
    """The exit code an attempt that raised ``error`` ends with: a deliberate error's own; a bug
    is an internal error, or in a loop (which it must not end) a partial failure."""
    if isinstance(error, AutomatorError):
        return int(error.exit_code)
    return int(ExitCode.PARTIAL if looping else ExitCode.INTERNAL)


class AttemptAbandoned(KeyboardInterrupt):
    """A looping run's first SIGTERM before its push: the attempt unwinds like an interrupt
    (the git writer restores the checkout), and the loop then stops with exit 0."""


class _Signals:
    """SIGTERM asks for a stop (twice: abandon); SIGINT abandons. Restores handlers on exit."""

    def __init__(self, graceful: bool) -> None:
        self.graceful = graceful  # a loop finishes the attempt in flight; a single run does not
        self.stop = threading.Event()
        self.in_attempt = False
        self._saved: dict[int, object] = {}

    def __enter__(self) -> _Signals:
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGTERM, signal.SIGINT):
                self._saved[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._saved.items():
            signal.signal(signum, handler)

    def _handle(self, signum: int, frame: object) -> None:
        if signum == signal.SIGINT or not self.graceful or (self.in_attempt and self.stop.is_set()):
            raise KeyboardInterrupt
        self.stop.set()
        if not self.in_attempt:
            return
        if push_in_flight():
            log.warning("SIGTERM: finishing the push in flight, then stopping (send it again to abandon)")
            return
        log.warning("SIGTERM: abandoning the attempt (nothing was pushed yet), then stopping")
        raise AttemptAbandoned


def run_scheduled(
    attempt: Callable[[], int],
    *,
    every: float | None = None,
    health_file: Path | None = None,
    heartbeat: float = HEARTBEAT,
) -> int:
    """Run ``attempt`` once, or every ``every`` seconds until SIGTERM; see the module doc."""

    def health(status: str, **fields: object) -> None:
        if health_file is not None:
            write_health(health_file, status, **fields)  # type: ignore[arg-type]

    count, code, message = 0, int(ExitCode.OK), ""
    with _Signals(graceful=every is not None) as signals:
        try:
            while not signals.stop.is_set():
                count += 1
                signals.in_attempt = True
                health("running", exit_code=None, attempt=count)
                try:
                    code, message = int(attempt()), ""
                except AttemptAbandoned:
                    health("stopped", exit_code=int(ExitCode.OK), attempt=count, message="abandoned before its push")
                    log.info("stopped: attempt %d abandoned before its push", count)
                    return int(ExitCode.OK)
                except AutomatorError as error:
                    if every is None:
                        health("failed", exit_code=int(error.exit_code), attempt=count, message=str(error))
                        raise
                    code, message = int(error.exit_code), str(error)
                    log.error("attempt %d failed: %s", count, message)
                except Exception as error:  # a bug must not end the service; it is logged in full
                    if every is None:
                        raise
                    code, message = exit_code_of(error, looping=True), scrub(f"{type(error).__name__}: {error}")
                    log.exception("attempt %d crashed", count)
                finally:
                    signals.in_attempt = False
                status = STATUS_BY_CODE.get(code, "failed")
                health(status, exit_code=code, attempt=count, message=message)
                if every is None:
                    return code
                log.info("attempt %d ended with %s; next in %.0fs", count, status, every)
                beat = time.monotonic() + heartbeat
                # short waits: a signal the kernel handed to another thread (the registry's
                # watchdog lives on) is handled only once this thread wakes up
                for step in steps(every):
                    if signals.stop.wait(step):
                        break
                    if time.monotonic() >= beat:
                        health(status, exit_code=code, attempt=count, message=message)
                        beat = time.monotonic() + heartbeat
            health("stopped", exit_code=code, attempt=count, message=message)
            log.info("stopped after %d attempt(s)", count)
            return int(ExitCode.OK)
        except KeyboardInterrupt:
            health("abandoned", exit_code=int(ExitCode.INTERRUPTED), attempt=count)
            raise
