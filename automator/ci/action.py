"""The entry of ``action.yml``: ``INPUT_*`` variables -> checked -> ``automator run`` (or
``automator fleet FILE`` when the ``fleet`` input names a fleet file).

Every input is checked by :func:`~automator.ci.inputs.check_inputs` before anything runs; a bad
one becomes an ``::error title=input <name>::`` annotation and a table in the job summary, and
the step exits 2 having changed nothing. Only secrets travel outside flags: the token as
``GITHUB_TOKEN``, registry credentials as a private docker config (the file the registry client
reads), the cache URL's password as ``REDIS_PASSWORD`` (the URL goes without it), so they never
appear on a command line. SIGTERM or SIGINT (a cancelled job) is passed on to the run, which
unwinds as a run does (exit 130); then the private docker config is removed. With
``fail-on-problems: false`` a run whose only trouble is problems (exit 1) passes, and its
problems are annotated as warnings; not ``mode: validate``, whose check fails on invalid
manifests whatever that input says.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from automator.ci.github import mask_secrets
from automator.ci.inputs import (
    ACTION_INPUTS,
    Input,
    InputProblem,
    action_argv,
    action_command,
    check_inputs,
    command_argv,
    input_true,
    input_value,
    input_variable,
)
from automator.context import Context
from automator.errors import ExitCode, UsageError, register_secret
from automator.interrupts import steps
from automator.report import workflow
from automator.report.markdown import cell, code

__all__ = ["ACTION_INPUTS", "Input", "action_argv", "action_command", "check_inputs", "docker_config", "input_variable", "main"]

SECRET_INPUTS = ("token", "registry-password", "cache-url")  # a cache URL may hold a password


def docker_config(environ: Mapping[str, str], directory: Path) -> Path | None:
    """A docker config with the ``registry`` credentials merged into any existing one."""
    registry = input_value(environ, "registry")
    username = input_value(environ, "registry-username")
    password = input_value(environ, "registry-password")
    if not password:
        return None
    if not (registry and username):
        raise UsageError("registry-password needs registry and registry-username as well")
    register_secret(password)
    existing = Path(environ.get("DOCKER_CONFIG") or Path(environ.get("HOME", "~")).expanduser() / ".docker")
    config = _read_docker_config(existing / "config.json")
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    register_secret(token)
    config.setdefault("auths", {})[registry] = {"auth": token}
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    target = directory / "config.json"
    target.touch(mode=0o600)
    target.write_text(json.dumps(config), encoding="utf-8")
    return directory


def _read_docker_config(path: Path) -> dict:
    """The docker config the credentials are merged into; ``{}`` when there is none."""
    if not path.is_file():
        return {}
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise UsageError(f"cannot read the docker config {path}: {error}",
                         hint="fix or remove that file, or leave registry-password empty") from None
    if not isinstance(config, dict) or not isinstance(config.get("auths", {}), dict):
        raise UsageError(f"the docker config {path} is not a JSON object with an 'auths' object",
                         hint="fix or remove that file, or leave registry-password empty")
    return config


def report_input_problems(environ: Mapping[str, str], problems: Sequence[InputProblem]) -> None:
    """One ``::error title=input NAME::`` line per bad input, and the same as a summary table."""
    for problem in problems:
        print(workflow.command("error", f"input {problem.name} {problem.message}", title=f"input {problem.name}"))
    summary = environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        rows = [f"| {code(p.name)} | {cell(p.message)} |" for p in problems]
        workflow.append_step_summary(summary, "\n".join([
            "### Deployment Automator: inputs to fix", "",
            "Nothing ran and nothing was written. Fix these inputs in the workflow's `with:`:", "",
            "| Input | Problem |", "| --- | --- |", *rows,
        ]))
    sys.stdout.flush()


def fails_on_problems(environ: Mapping[str, str], command: str) -> bool:
    """Whether problems (exit 1) fail the step: as ``fail-on-problems`` says for a run, always
    for ``validate``, a check that exists to fail on invalid manifests (a ``false`` there is
    ignored, with a warning that says so)."""
    if command != "validate":
        return input_true(environ, "fail-on-problems")
    if not input_true(environ, "fail-on-problems"):
        print(workflow.command("warning", "input fail-on-problems does not apply to mode validate: invalid manifests fail the check",
                               title="input fail-on-problems"), flush=True)
    return True


class _Forward:
    """SIGTERM and SIGINT while installed: passed on to the child once it runs (it stops as a
    run does, and is waited for), ``KeyboardInterrupt`` before. Restores the handlers on exit."""

    SIGNALS = (signal.SIGTERM, signal.SIGINT)

    def __init__(self) -> None:
        self.child: subprocess.Popen | None = None
        self.received: int | None = None
        self._saved: dict[int, object] = {}

    def __enter__(self) -> _Forward:
        for signum in self.SIGNALS:
            self._saved[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._saved.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]

    def _handle(self, signum: int, frame: object) -> None:
        self.received = signum
        if self.child is None:
            raise KeyboardInterrupt
        if self.child.poll() is None:
            self.child.send_signal(signum)

    def run(self, argv: Sequence[str], env: Mapping[str, str]) -> int:
        """Run the child to its end, in its own session (a terminal's Ctrl-C reaches it once,
        from here); waiting in short steps, so that a signal is handled at once."""
        self.child = child = subprocess.Popen(argv, env=env, start_new_session=True)
        for step in steps(None):
            try:
                child.wait(timeout=step)
            except subprocess.TimeoutExpired:
                continue
            break
        code = child.returncode
        return int(ExitCode.INTERRUPTED) if code < 0 else code  # killed by a signal: as an interrupted run


def main(environ: Mapping[str, str] | None = None) -> int:
    """Check the inputs, then run ``automator run`` as a child process.

    A child, not a call: the token and the docker config reach it through its own environment
    (read by :class:`~automator.context.Context` like any run), and the temporary docker
    config is removed whatever happens to the run, a SIGTERM or SIGINT included: the signal is
    passed on to the child, which is waited for.
    """
    try:
        with _Forward() as forward:
            return _main(environ, forward)
    except KeyboardInterrupt:  # a signal before the child started (its files are removed)
        return int(ExitCode.INTERRUPTED)


def _main(environ: Mapping[str, str] | None, forward: _Forward) -> int:
    environ = Context.from_environ(environ).environ
    for name in SECRET_INPUTS:
        if input_value(environ, name):
            register_secret(input_value(environ, name))
    mask_secrets()
    problems = check_inputs(environ, Path(environ.get("GITHUB_WORKSPACE") or os.getcwd()))
    if problems:
        report_input_problems(environ, problems)
        return int(ExitCode.USAGE)
    temp = Path(tempfile.mkdtemp(prefix="automator-", dir=environ.get("RUNNER_TEMP") or None))
    try:
        argv, env = command_argv(environ)
        register_secret(env.get("REDIS_PASSWORD"))  # the cache URL's password, masked on its own too
        try:
            config_dir = docker_config(environ, temp / "docker") if argv[0] != "validate" else None
        except UsageError as error:
            mask_secrets()
            print(workflow.command("error", f"automator action: {error}", title="input registry-password"), flush=True)
            return int(error.exit_code)
        mask_secrets()
        sys.stdout.flush()
        if config_dir is not None:
            env["DOCKER_CONFIG"] = str(config_dir)
        fail_on_problems = fails_on_problems(environ, argv[0])
        env["AUTOMATOR_FAIL_ON_PROBLEMS"] = "true" if fail_on_problems else "false"
        code = forward.run([sys.executable, "-m", "automator", *argv], {**environ, **env})
        if forward.received is not None:  # stopped: the run's own exit code (130), as it is
            return code
        if code == ExitCode.PARTIAL and not fail_on_problems:
            print(workflow.command("notice", "problems were reported as warnings (fail-on-problems: false)",
                                   title="automator"), flush=True)
            return int(ExitCode.OK)
        return code
    finally:
        shutil.rmtree(temp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
