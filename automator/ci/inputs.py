"""The action's inputs: how each reaches ``automator run``, and what a valid value looks like.

:data:`ACTION_INPUTS` is the one table: a test holds it against ``action.yml`` and against
the parser of ``automator run``. :func:`check_inputs` looks at every input before anything
runs and names each bad one by its input name (``pr-per``, not ``--pr-per``), with what to
write instead; :func:`action_argv` then maps the values to arguments.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from automator.values import value_type

Kind = Literal["positional", "value", "list", "bool", "choice", "env", "registry", "action", "fleet"]
Check = Literal["", "path", "file", "positive-int", "seconds", "url", "author", "platform", "host", "branch", "remote", "readable",
                "pushed", "shard", "cache-url", "branch-template"]


@value_type
class Input:
    """How one action input reaches ``automator run``: a flag, or (for secrets) the environment.

    ``choices`` maps an input value to the flag it sets (``choice``: "" = no flag) or lists
    the values a ``value`` input allows (then passed as the flag's argument).
    """

    kind: Kind
    flag: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    env: str = ""  # for "env": the variable it sets
    check: Check = ""


ACTION_INPUTS: dict[str, Input] = {
    "path": Input("positional", check="path"),
    "mode": Input("choice", choices=(("commit", ""), ("pr", "--pr"), ("validate", ""))),
    "tags-file": Input("value", "--tags-from", check="file"),
    "rules": Input("value", "--rules", check="file"),
    "repo": Input("value", "--repo"),
    "ref": Input("value", "--ref", check="branch"),
    "branch": Input("value", "--branch", check="branch"),
    "remote": Input("value", "--remote", check="remote"),
    "message-template": Input("value", "--message-template"),
    "author": Input("value", "--author", check="author"),
    "dry-run": Input("bool", "--dry-run"),
    "max-attempts": Input("value", "--max-attempts", check="positive-int"),
    "pr-base": Input("value", "--pr-base", check="branch"),
    "pr-per": Input("value", "--pr-per", choices=(("run", ""), ("image", ""))),
    "branch-template": Input("value", "--branch-template", check="branch-template"),
    "labels": Input("list", "--label"),
    "reviewers": Input("list", "--reviewer"),
    "assignees": Input("list", "--assignee"),
    "draft": Input("bool", "--draft"),
    "auto-merge": Input("value", "--auto-merge", choices=(("merge", ""), ("squash", ""), ("rebase", ""))),
    "forge-url": Input("value", "--forge-url", check="url"),
    "insecure-registries": Input("list", "--insecure-registry", check="host"),
    "platform": Input("value", "--platform", check="platform"),
    "registry-timeout": Input("value", "--registry-timeout", check="seconds"),
    "verbose": Input("bool", "--verbose"),
    "fail-on-problems": Input("action"),
    "token": Input("env", env="GITHUB_TOKEN"),
    "registry": Input("registry"),
    "registry-username": Input("registry"),
    "registry-password": Input("registry"),
    "pushed": Input("list", "--pushed", check="pushed"),
    "event-file": Input("value", "--event", check="readable"),
    "fleet": Input("fleet", check="readable"),
    "shard": Input("fleet", "--shard", check="shard"),
    "only": Input("fleet", "--only"),
    "cache-url": Input("value", "--cache-url", check="cache-url"),
}

# with a fleet file the step runs `automator fleet FILE`, which takes no path, clone or event
NOT_WITH_FLEET = ("repo", "ref", "pushed", "event-file")

ACTION_DEFAULTS = {"fail-on-problems": "true"}


@value_type
class InputProblem:
    name: str
    message: str


def input_variable(name: str) -> str:
    """``INPUT_`` + the name in upper case with ``-`` as ``_`` (a name every shell passes on)."""
    return "INPUT_" + name.replace("-", "_").replace(" ", "_").upper()


def input_value(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(input_variable(name), "").strip()
    return value or ACTION_DEFAULTS.get(name, "")


def input_true(environ: Mapping[str, str], name: str) -> bool:
    return input_value(environ, name).lower() == "true"


def list_items(value: str) -> list[str]:
    return [item.strip() for item in value.replace("\n", ",").split(",") if item.strip()]


# --- validation -------------------------------------------------------------------------------

_AUTHOR = re.compile(r"[^<>]+\s<[^<>\s]+>")
_PLATFORM = re.compile(r"[a-z0-9]+/[a-z0-9_]+(/[a-z0-9]+)?")
_HOST = re.compile(r"[A-Za-z0-9.-]+(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?")
_URL = re.compile(r"https?://[^\s/]+(/\S*)?")
_PUSHED = re.compile(r"[^\s:@/]+(/[^\s:@/]+)*(:\d+)?(/[^\s:@/]+)*:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}(@sha256:[0-9a-f]{64})?")
_SHARD = re.compile(r"\d+/[1-9]\d*")


def _usable_cache_url(value: str) -> bool:
    """What ``--cache-url`` itself accepts (one check: the tool's, loaded only when the input is set)."""
    from automator.errors import ConfigError
    from automator.registry.redis_cache import check_cache_url

    try:
        check_cache_url(value)
    except ConfigError:
        return False
    return True


def _seconds(value: str) -> bool:
    """A positive, finite number of seconds: ``--registry-timeout``'s own reading of it."""
    from automator.registry.settings import positive_seconds

    return positive_seconds(value) is not None


def _branch_name_problem(value: str) -> str:
    """Why git could not have ``value`` as a branch ('' when it could): the rules of
    ``git check-ref-format --branch``, which ``--branch`` itself applies."""
    from automator.git.refname import branch_name_problem

    return branch_name_problem(value)


def _branch_template_problem(value: str) -> str | None:
    """What ``--branch-template`` itself says of the template (its fields), None when it is usable."""
    from automator.errors import ConfigError
    from automator.forge.naming import check_template

    try:
        check_template(value)
    except ConfigError as error:
        return error.message.replace(f"--branch-template {value!r} ", "", 1) + (f" ({error.hint})" if error.hint else "")
    return None


def _one_of(value: str, allowed: list[str]) -> str:
    close = difflib.get_close_matches(value, allowed, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return f"must be {_or(allowed)}, not {value!r}{hint}"


def _or(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def _check_value(spec: Input, value: str, environ: Mapping[str, str], workspace: Path) -> str | None:
    """What is wrong with ``value`` (None: nothing)."""
    if spec.kind == "bool" or (spec.kind == "action"):
        if value.lower() not in ("true", "false"):
            return _one_of(value, ["true", "false"])
    if spec.choices and value not in dict(spec.choices):
        return _one_of(value, [choice for choice, _ in spec.choices])
    cloned = bool(input_value(environ, "repo"))  # paths then name files of the clone
    if spec.check == "path" and not cloned and not (workspace / value).exists():
        return f"{value!r} does not exist in the workspace {workspace}; name a directory or file of the checkout"
    if spec.check == "file" and not (cloned and spec.flag == "--rules") and not (workspace / value).is_file():
        return f"{value!r} is not a file in the workspace {workspace}"
    if spec.check == "positive-int" and not (value.isdigit() and int(value) > 0):
        return f"must be a whole number of at least 1, not {value!r}"
    if spec.check == "seconds" and not _seconds(value):
        return f"must be a positive number of seconds such as 30, not {value!r}"
    if spec.check == "branch-template" and (problem := _branch_template_problem(value)):
        return f"{value!r}: {problem}"
    if spec.check == "url" and not _URL.fullmatch(value):
        return f"must be an http(s) URL such as https://github.example.com/api/v3, not {value!r}"
    if spec.check == "author" and not _AUTHOR.fullmatch(value):
        return f'must look like "Name <email>", not {value!r}'
    if spec.check == "platform" and not _PLATFORM.fullmatch(value):
        return f"must be OS/ARCH[/VARIANT] such as linux/arm64, not {value!r}"
    if spec.check == "host":
        bad = [item for item in list_items(value) if not _HOST.fullmatch(item)]
        if bad:
            return f"must list registry hosts (host or host:port, no scheme or path), not {', '.join(map(repr, bad))}"
    if spec.check == "readable" and not (workspace / value).is_file():  # an absolute path stays absolute
        return f"{value!r} is not a readable file (relative to the workspace {workspace}, or absolute)"
    if spec.check == "pushed":
        bad = [item for item in list_items(value) if not _PUSHED.fullmatch(item)]
        if bad:
            return f"must list pushed images as REGISTRY/REPOSITORY:TAG[@sha256:DIGEST], not {', '.join(map(repr, bad))}"
    if spec.check == "shard" and not (_SHARD.fullmatch(value) and int(value.split("/")[0]) < int(value.split("/")[1])):
        return f"must be I/N with I from 0 to N-1, e.g. ${{{{ matrix.shard }}}}/4, not {value!r}"
    if spec.check == "cache-url" and not _usable_cache_url(value):  # not shown: it may hold a password
        return "must be redis://HOST:PORT/DB or rediss://HOST:PORT/DB (the value is not shown: it may hold a password)"
    if spec.check == "branch" and (why := _branch_name_problem(value)):
        return f"{value!r} is not a valid branch name: {why} (git's rules: git check-ref-format --branch NAME)"
    if spec.check == "remote" and (value.startswith("-") or any(c.isspace() for c in value) or (".." in value and "/" not in value)):
        return f"must be a git remote name, URL or path (no spaces, no leading '-', no '..' in a name), not {value!r}"
    return None


def check_inputs(environ: Mapping[str, str], workspace: Path) -> list[InputProblem]:
    """Every input that cannot work, by name; empty when all can."""
    problems: list[InputProblem] = []
    for name, spec in ACTION_INPUTS.items():
        value = input_value(environ, name)
        if value:
            message = _check_value(spec, value, environ, workspace)
            if message:
                problems.append(InputProblem(name, message))
    if input_value(environ, "fleet"):
        for name in NOT_WITH_FLEET:
            if input_value(environ, name):
                problems.append(InputProblem(name, "is not used with fleet: each repository of the fleet file is cloned and run"))
    else:
        for name in ("shard", "only"):
            if input_value(environ, name):
                problems.append(InputProblem(name, "needs fleet (the fleet file whose repositories this job runs)"))
    clone = "fleet" if input_value(environ, "fleet") else "repo" if input_value(environ, "repo") else None
    if clone and input_value(environ, "remote") not in ("", "origin"):
        problems.append(InputProblem("remote", f"is not used with {clone}: the clone's one remote is origin, the URL it was cloned from"))
    if input_value(environ, "registry-password"):
        for name in ("registry", "registry-username"):
            if not input_value(environ, name):
                problems.append(InputProblem(name, "is needed with registry-password (or leave registry-password empty)"))
    return problems


# --- mapping ----------------------------------------------------------------------------------


def action_command(environ: Mapping[str, str]) -> list[str]:
    """``["run"]``, or ``["fleet", FILE, "--shard=I/N", "--only=GLOB", ...]`` when the ``fleet``
    input names a file."""
    fleet = input_value(environ, "fleet")
    if not fleet:
        return ["run"]
    shard = input_value(environ, "shard")
    only = [f"--only={pattern}" for pattern in list_items(input_value(environ, "only"))]
    return ["fleet", f"./{fleet}" if fleet.startswith("-") else fleet, *([f"--shard={shard}"] if shard else []), *only]


# mode validate runs `automator validate` with these inputs only (no registry, no write)
VALIDATE_INPUTS = ("rules", "verbose", "path")


def command_argv(environ: Mapping[str, str]) -> tuple[list[str], dict[str, str]]:
    """The automator command line (``run``/``fleet ...`` or, in mode validate, ``validate ...``)
    and the environment variables to set. Call :func:`check_inputs` first."""
    if input_value(environ, "mode") != "validate":
        argv, env = action_argv(environ)
        return [*action_command(environ), *argv], env
    kept = {input_variable(name) for name in VALIDATE_INPUTS}
    argv, _ = action_argv({key: value for key, value in environ.items() if key in kept})
    return ["validate", *argv], {}


def action_argv(environ: Mapping[str, str]) -> tuple[list[str], dict[str, str]]:
    """Arguments for ``automator run`` (or ``fleet``, see :func:`action_command`) and
    environment variables to set, from ``INPUT_*``.

    Values travel as ``--flag=value`` and a path that starts with ``-`` as ``./-…``, so no
    value is ever read as an option. Call :func:`check_inputs` first.
    """
    fleet = bool(input_value(environ, "fleet"))
    argv: list[str] = []
    env: dict[str, str] = {}
    positional: list[str] = []
    for name, spec in ACTION_INPUTS.items():
        value = input_value(environ, name)
        if not value or (fleet and (spec.kind == "positional" or name in NOT_WITH_FLEET)):
            continue
        if spec.kind == "positional":
            positional.append(f"./{value}" if value.startswith("-") else value)
        elif spec.kind == "value" and spec.check == "cache-url":
            # the password travels as the child's REDIS_PASSWORD (the URL's would win anyway)
            from automator.registry.redis_cache import split_password

            url, password = split_password(value)
            argv.append(f"{spec.flag}={url}")
            env.update({"REDIS_PASSWORD": password} if password else {})
        elif spec.kind == "value":
            argv.append(f"{spec.flag}={value}")
        elif spec.kind == "list":
            argv += [f"{spec.flag}={item}" for item in list_items(value)]
        elif spec.kind == "bool" and value.lower() == "true":
            argv.append(spec.flag)
        elif spec.kind == "choice" and dict(spec.choices).get(value):
            argv.append(dict(spec.choices)[value])
        elif spec.kind == "env":
            env[spec.env] = value
    return argv + positional, env
