"""The entry of the GitLab CI/CD component (``templates/automator.yml``): job variables ->
``automator run`` arguments, without a shell in between.

The component passes its inputs as variables. ``AUTOMATOR_PUSHED`` (images an upstream
pipeline just pushed, separated by spaces or newlines) makes the run event-driven (``--pushed``). ``AUTOMATOR_ARGS`` holds extra arguments as a
JSON array (what GitLab makes of an ``array`` input inside a string), so each item stays one
argument whatever spaces or quotes it holds; a plain string, as older pipelines set it, is
split the way a POSIX shell would split it with its quotes, never by bare word-splitting.

    python -m automator.ci.gitlab            # the update job
    python -m automator.ci.gitlab --plan     # the merge request job: a dry run, reports only
                                             # (of the checkout, or of the repo input's clone)
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from collections.abc import Mapping, Sequence

from automator.context import Context
from automator.errors import ExitCode

MODES = {"commit": [], "mr": ["--mr"]}


class VariableError(ValueError):
    """A job variable that cannot be turned into arguments; the message names it."""


def extra_args(text: str) -> list[str]:
    text = text.strip()
    if not text:
        return []
    if text.startswith("["):
        try:
            items = json.loads(text)
        except ValueError as error:
            raise VariableError(f"AUTOMATOR_ARGS is not a JSON array of strings: {error}") from None
        if not all(isinstance(item, str) for item in items):
            raise VariableError("AUTOMATOR_ARGS must be an array of strings, e.g. [\"--label\", \"automated\"]")
        return items
    try:
        return shlex.split(text)
    except ValueError as error:
        raise VariableError(f"AUTOMATOR_ARGS: {error}") from None


def run_argv(variables: Mapping[str, str], *, plan: bool = False) -> list[str]:
    """``automator run`` arguments for the update job (or, with ``plan``, the dry-run job)."""

    def get(name: str, default: str = "") -> str:
        return (variables.get(name) or "").strip() or default

    mode = get("AUTOMATOR_MODE", "commit")
    if mode not in MODES:
        raise VariableError(f"AUTOMATOR_MODE must be commit or mr, not {mode!r}")
    argv = ["run"]
    if plan:  # this project's checkout, or the repository of the repo input (a dry run of its clone)
        argv.append("--dry-run")
        argv += [f"--repo={get('AUTOMATOR_REPO')}"] if get("AUTOMATOR_REPO") else []
        argv += [f"--ref={get('AUTOMATOR_REF')}"] if get("AUTOMATOR_REPO") and get("AUTOMATOR_REF") else []
    else:
        repo = get("AUTOMATOR_REPO") or (f"{get('CI_PROJECT_URL')}.git" if get("CI_PROJECT_URL") else "")
        ref = get("AUTOMATOR_REF") or get("CI_COMMIT_BRANCH") or get("CI_DEFAULT_BRANCH")
        argv += [f"--repo={repo}"] if repo else []
        argv += [f"--ref={ref}"] if ref else []
        argv += MODES[mode]
    argv += [f"--markdown={get('AUTOMATOR_REPORT', 'automator-report.md')}",
             f"--dotenv={get('AUTOMATOR_DOTENV', 'automator.env')}"]
    argv += [f"--pushed={image}" for image in get("AUTOMATOR_PUSHED").split()]  # from a pipeline trigger
    argv += extra_args(get("AUTOMATOR_ARGS"))
    path = get("AUTOMATOR_PATH", ".")
    return [*argv, f"./{path}" if path.startswith("-") else path]


def tokens(variables: Mapping[str, str]) -> dict[str, str]:
    """``AUTOMATOR_TOKEN`` (a project access token) as the git and API token, when set."""
    token = (variables.get("AUTOMATOR_TOKEN") or "").strip()
    return {"GIT_TOKEN": token, "GITLAB_TOKEN": token} if token else {}


def trust_checkout(variables: Mapping[str, str]) -> dict[str, str]:
    """git's ``safe.directory`` for the job's checkout (``CI_PROJECT_DIR``), as command-line
    configuration appended to any the job sets: the runner's helper makes the checkout as
    another user than the image's (uid 10001), and git refuses a repository it does not own
    ("dubious ownership"). Only the plan job reads the checkout; the update job clones."""
    project = (variables.get("CI_PROJECT_DIR") or "").strip()
    count = (variables.get("GIT_CONFIG_COUNT") or "0").strip()
    if not project or not count.isdigit() or len(count) > 4:
        return {}
    from automator.git.credentials import extra_config_env

    return extra_config_env([("safe.directory", project)], variables)


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    variables = Context.from_environ(environ).environ
    try:
        run = run_argv(variables, plan="--plan" in args)
    except VariableError as error:
        print(f"automator: {error}", file=sys.stderr)
        return int(ExitCode.USAGE)
    env = {**variables, **tokens(variables), **(trust_checkout(variables) if "--plan" in args else {})}
    sys.stdout.flush()
    os.execvpe(sys.executable, [sys.executable, "-m", "automator", *run], env)
    return int(ExitCode.INTERNAL)  # not reached: exec replaces this process


if __name__ == "__main__":
    raise SystemExit(main())
