"""The entry of ``action.yml``: ``INPUT_*`` variables -> ``automator run`` arguments.

:data:`ACTION_INPUTS` is the one table that says how each action input reaches the CLI; a
test holds it against both ``action.yml`` and the parser of ``automator run``. Only secrets
travel outside flags: the token as ``GITHUB_TOKEN``, registry credentials as a private
docker config (the file the registry client reads), so they never appear on a command line.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from automator.ci.github import mask_secrets
from automator.context import Context
from automator.errors import UsageError, register_secret
from automator.report import workflow

Kind = Literal["positional", "value", "list", "bool", "choice", "env", "registry"]


@dataclass(frozen=True)
class Input:
    """How one action input reaches ``automator run``: a flag, or (for secrets) the environment."""

    kind: Kind
    flag: str = ""
    choices: tuple[tuple[str, str], ...] = ()  # for "choice": input value -> flag ("" = none)
    env: str = ""  # for "env": the variable it sets


ACTION_INPUTS: dict[str, Input] = {
    "path": Input("positional"),
    "mode": Input("choice", choices=(("commit", ""), ("pr", "--pr"))),
    "tags-file": Input("value", "--tags-from"),
    "rules": Input("value", "--rules"),
    "repo": Input("value", "--repo"),
    "ref": Input("value", "--ref"),
    "branch": Input("value", "--branch"),
    "remote": Input("value", "--remote"),
    "message-template": Input("value", "--message-template"),
    "author": Input("value", "--author"),
    "dry-run": Input("bool", "--dry-run"),
    "max-attempts": Input("value", "--max-attempts"),
    "pr-base": Input("value", "--pr-base"),
    "pr-per": Input("value", "--pr-per"),
    "branch-template": Input("value", "--branch-template"),
    "labels": Input("list", "--label"),
    "reviewers": Input("list", "--reviewer"),
    "assignees": Input("list", "--assignee"),
    "draft": Input("bool", "--draft"),
    "auto-merge": Input("value", "--auto-merge"),
    "forge-url": Input("value", "--forge-url"),
    "insecure-registries": Input("list", "--insecure-registry"),
    "platform": Input("value", "--platform"),
    "verbose": Input("bool", "--verbose"),
    "token": Input("env", env="GITHUB_TOKEN"),
    "registry": Input("registry"),
    "registry-username": Input("registry"),
    "registry-password": Input("registry"),
}

def input_value(environ: Mapping[str, str], name: str) -> str:
    """``INPUT_`` + the name in upper case with ``-`` as ``_`` (a name every shell passes on)."""
    return environ.get(input_variable(name), "").strip()


def input_variable(name: str) -> str:
    return "INPUT_" + name.replace("-", "_").replace(" ", "_").upper()


def action_argv(environ: Mapping[str, str]) -> tuple[list[str], dict[str, str]]:
    """Arguments for ``automator run`` and environment variables to set, from ``INPUT_*``."""
    argv: list[str] = []
    env: dict[str, str] = {}
    positional: list[str] = []
    for name, spec in ACTION_INPUTS.items():
        value = input_value(environ, name)
        if not value:
            continue
        if spec.kind == "positional":
            positional.append(value)
        elif spec.kind == "value":
            argv += [spec.flag, value]
        elif spec.kind == "list":
            for item in value.replace("\n", ",").split(","):
                if item.strip():
                    argv += [spec.flag, item.strip()]
        elif spec.kind == "bool":
            if value.lower() not in ("true", "false"):
                raise UsageError(f"input {name!r} must be true or false, not {value!r}")
            if value.lower() == "true":
                argv.append(spec.flag)
        elif spec.kind == "choice":
            allowed = dict(spec.choices)
            if value not in allowed:
                raise UsageError(f"input {name!r} must be one of {', '.join(allowed)}, not {value!r}")
            if allowed[value]:
                argv.append(allowed[value])
        elif spec.kind == "env":
            register_secret(value)
            env[spec.env] = value
    return argv + positional, env


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


def main(environ: Mapping[str, str] | None = None) -> int:
    """Run ``automator run`` as a child process with the mapped arguments and environment.

    A child, not a call: the token and the docker config reach it through its own environment
    (read by :class:`~automator.context.Context` like any run), and the temporary docker
    config is removed whatever happens to the run.
    """
    environ = Context.from_environ(environ).environ
    temp = Path(tempfile.mkdtemp(prefix="automator-", dir=environ.get("RUNNER_TEMP") or None))
    try:
        try:
            argv, env = action_argv(environ)
            config_dir = docker_config(environ, temp / "docker")
        except UsageError as error:
            mask_secrets()
            print(workflow.command("error", f"automator action: {error}", title="automator"), flush=True)
            return int(error.exit_code)
        mask_secrets()
        sys.stdout.flush()
        if config_dir is not None:
            env["DOCKER_CONFIG"] = str(config_dir)
        child = subprocess.run([sys.executable, "-m", "automator", "run", *argv], env={**environ, **env}, check=False)
        return child.returncode
    finally:
        shutil.rmtree(temp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
