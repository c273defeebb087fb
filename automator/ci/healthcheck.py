"""The container's ``HEALTHCHECK``: asks what the main process is doing, then checks just that.

Docker runs one health command for every way the image is used, so the command looks at the
container's main process (PID 1, or the child of an init such as ``tini``) and checks:

* ``run --every … --health-file F`` (the loop): the record in F is fresh (``--max-age``,
  default 10 minutes, or ``AUTOMATOR_HEALTH_MAX_AGE``);
* ``serve`` (the webhook receiver): ``GET /healthz`` on the port of its ``--listen`` answers 200;
* anything else, a one-shot ``run``, ``scan`` or ``--help``: healthy, there is nothing that
  could hang unseen (the run's exit code says how it went).

A ``failed`` record makes the container unhealthy only with ``AUTOMATOR_HEALTH_FAIL_ON_FAILED``
set to ``true``: a liveness probe should not restart a pod over one failed attempt, which the
next attempt may well fix; a fresh record already proves the loop is alive.

    python -m automator.ci.healthcheck          # exit 0 healthy, 1 unhealthy; one line why
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

from automator.context import Context
from automator.errors import UsageError
from automator.values import value_type

INITS = {"tini", "tini-static", "docker-init", "dumb-init", "catatonit"}
DEFAULT_MAX_AGE = 600.0
DEFAULT_PORT = 8080
TRUE = {"1", "true", "yes", "on"}


@value_type
class Probe:
    """One thing to check: ``record`` (a health file) or ``http`` (a URL); ``none``: nothing."""

    kind: str
    target: str = ""
    max_age: float = DEFAULT_MAX_AGE
    fail_on_failed: bool = False


# --- which process, doing what (pure) ---------------------------------------------------------


def automator_args(cmdline: Sequence[str]) -> list[str] | None:
    """The arguments after the program in ``automator …`` / ``python -m automator …``."""
    for index, part in enumerate(cmdline):
        if Path(part).name == "automator":
            if index > 0 and cmdline[index - 1] == "-m":
                return list(cmdline[index + 1:])
            return list(cmdline[index + 1:])
    return None


def option(args: Sequence[str], name: str) -> str | None:
    """The value of ``--name VALUE`` or ``--name=VALUE`` (the last one given), else None."""
    value = None
    for index, arg in enumerate(args):
        if arg == name and index + 1 < len(args):
            value = args[index + 1]
        elif arg.startswith(name + "="):
            value = arg.split("=", 1)[1]
    return value


def command_of(args: Sequence[str]) -> str | None:
    return next((arg for arg in args if not arg.startswith("-")), None)


def probes_for(args: Sequence[str] | None, environ: Mapping[str, str]) -> list[Probe]:
    """What to check for a main process started with ``args`` (None: not this tool)."""
    if not args:
        return []
    found: list[Probe] = []
    fail_on_failed = environ.get("AUTOMATOR_HEALTH_FAIL_ON_FAILED", "").strip().lower() in TRUE
    health_file = option(args, "--health-file")
    if option(args, "--every") and health_file:
        found.append(Probe("record", health_file, _max_age(environ), fail_on_failed))
    if command_of(args) == "serve":  # the address serve takes: --listen, else AUTOMATOR_LISTEN (the image sets it)
        found.append(Probe("http", healthz_url(option(args, "--listen") or environ.get("AUTOMATOR_LISTEN"))))
    return found


def healthz_url(listen: str | None) -> str:
    """``http://127.0.0.1:PORT/healthz`` for a ``--listen [HOST:]PORT`` (any-address hosts
    are reached on the loopback)."""
    host, port = "127.0.0.1", DEFAULT_PORT
    if listen:
        head, _, tail = listen.rpartition(":")
        if tail.isdigit():
            port = int(tail)
        head = head.strip("[]")
        if head and head not in ("0.0.0.0", "::", "*"):
            host = head
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/healthz"


def _max_age(environ: Mapping[str, str]) -> float:
    """``AUTOMATOR_HEALTH_MAX_AGE`` in seconds; a :class:`UsageError` naming the variable when
    it is no interval."""
    text = environ.get("AUTOMATOR_HEALTH_MAX_AGE", "").strip()
    if not text:
        return DEFAULT_MAX_AGE
    from automator.schedule import parse_interval

    try:
        return parse_interval(text)
    except UsageError as error:
        raise UsageError(f"AUTOMATOR_HEALTH_MAX_AGE: {error.message}", hint=error.hint) from None


# --- the checks (I/O) -------------------------------------------------------------------------


def check(probe: Probe, *, now: float | None = None, timeout: float = 5.0) -> tuple[bool, str]:
    if probe.kind == "record":
        return check_record(Path(probe.target), probe.max_age, fail_on_failed=probe.fail_on_failed, now=now)
    if probe.kind == "http":
        return check_http(probe.target, timeout=timeout)
    return True, "nothing to check"


def check_record(path: Path, max_age: float, *, fail_on_failed: bool = False, now: float | None = None) -> tuple[bool, str]:
    from automator.schedule import check_health

    fresh, summary = check_health(path, max_age, now=now)
    if not fresh:
        return False, f"{summary}; older than {max_age:.0f}s or unreadable"
    healthy, summary = check_health(path, max_age, now=now, fail_on_failed=fail_on_failed)
    return healthy, summary + ("" if healthy else " (AUTOMATOR_HEALTH_FAIL_ON_FAILED)")


def check_http(url: str, *, timeout: float = 5.0) -> tuple[bool, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback only
            return response.status == 200, f"{url}: {response.status}"
    except urllib.error.HTTPError as error:
        return False, f"{url}: {error.code}"
    except (OSError, ValueError) as error:
        return False, f"{url}: {getattr(error, 'reason', error)}"


def main_process(proc: Path = Path("/proc")) -> list[str] | None:
    """The command line of the container's main process: PID 1, or its child under an init."""
    first = _cmdline(proc / "1")
    if not first or Path(first[0]).name not in INITS:
        return first
    own = {str(os.getpid()), str(os.getppid())}
    for entry in sorted(proc.iterdir(), key=lambda p: (len(p.name), p.name)):
        if entry.name.isdigit() and entry.name not in own and _parent(entry) == "1":
            cmdline = _cmdline(entry)
            if cmdline and automator_args(cmdline) is not None:
                return cmdline
    return None


def _cmdline(entry: Path) -> list[str] | None:
    try:
        raw = (entry / "cmdline").read_bytes()
    except OSError:
        return None
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part] or None


def _parent(entry: Path) -> str | None:
    try:
        for line in (entry / "status").read_text().splitlines():
            if line.startswith("PPid:"):
                return line.split()[1]
    except (OSError, IndexError):
        return None
    return None


def main(environ: Mapping[str, str] | None = None, proc: Path = Path("/proc")) -> int:
    environ = Context.from_environ(environ).environ
    cmdline = main_process(proc)
    try:
        probes = probes_for(automator_args(cmdline) if cmdline else None, environ)
    except UsageError as error:  # e.g. an AUTOMATOR_HEALTH_MAX_AGE that is no interval
        print(f"unhealthy: {error}", file=sys.stderr)
        return 1
    if not probes:
        print("healthy: no loop or server to check (a one-shot run reports by its exit code)")
        return 0
    healthy = True
    for probe in probes:
        ok, summary = check(probe)
        print(("healthy: " if ok else "unhealthy: ") + summary, file=sys.stdout if ok else sys.stderr)
        healthy = healthy and ok
    return 0 if healthy else 1


if __name__ == "__main__":
    raise SystemExit(main())
