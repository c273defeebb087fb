"""A single-threaded process that forks ``automator`` runs on request (for the kill test).

The package is imported once, so a run costs git's work rather than an interpreter start, and
the forks happen in a process without threads (forking the test process itself would copy
whatever threads other tests left). One JSON request per line on stdin, one answer per line
on stdout:

    {"op": "run", "args": [...], "cwd": "...", "env": {...}, "log": "..."}  -> {"pid": N}
    {"op": "poll", "pid": N}                     -> {"code": C} or {"code": null} (still running)
    {"op": "wait", "pid": N, "timeout": S}       -> {"code": C}; past S the run's process group
                                                   is killed and {"code": -9, "hung": true}

Each run is its own process group leader, so ``os.killpg(pid, SIGKILL)`` kills it with its
git children, as a cancelled CI job is killed.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time


def _child(request: dict) -> None:  # pragma: no cover - runs in the fork
    code = 99
    try:
        from automator.cli import main

        os.setpgid(0, 0)
        os.chdir(request["cwd"])
        os.environ.update(request.get("env") or {})
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        fd = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
        code = main(request["args"])
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)


def _wait(pid: int, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return {"code": os.waitstatus_to_exitcode(status)}
        if time.monotonic() > deadline:
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.waitpid(pid, 0)
            return {"code": -9, "hung": True}
        time.sleep(0.005)


def serve() -> None:
    import automator.cli  # noqa: F401  (imported once, before any fork)
    import automator.writeback.run  # noqa: F401

    for line in sys.stdin:
        request = json.loads(line)
        if request["op"] == "run":
            pid = os.fork()
            if pid == 0:
                _child(request)
            answer = {"pid": pid}
        elif request["op"] == "poll":
            done, status = os.waitpid(request["pid"], os.WNOHANG)
            answer = {"code": os.waitstatus_to_exitcode(status) if done else None}
        else:
            answer = _wait(request["pid"], float(request.get("timeout", 120)))
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    serve()
