"""Runs action.yml's composite steps as a GitHub runner would, for tests.

Each ``run:`` step is executed by bash with its ``env:`` (expressions evaluated), the runner's
variables and fresh ``GITHUB_OUTPUT``/``GITHUB_ENV`` files that are read back after the step,
as the runner does. ``uses:`` steps (the cache service) are not reachable here: a cache step
reports a miss, except that the virtual environment is "restored" by pointing the cached path
at this interpreter's environment (the test suite's own), so no package is downloaded.
Supports exactly the expressions action.yml uses; anything else fails the test loudly.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent
ACTION = YAML(typ="safe").load((ROOT / "action.yml").read_text())
EXPRESSION = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")


@dataclass
class RunResult:
    steps: dict[str, dict[str, str]] = field(default_factory=dict)  # id -> outputs
    outcomes: dict[str, str] = field(default_factory=dict)          # id/name -> success|failure|skipped
    outputs: dict[str, str] = field(default_factory=dict)           # the action's outputs
    stdout: str = ""
    stderr: str = ""
    exit_code: int = 0


def parse_file_commands(text: str) -> dict[str, str]:
    """``name=value`` and ``name<<DELIM`` blocks, as in GITHUB_OUTPUT and GITHUB_ENV."""
    values, lines = {}, iter(text.splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            block = []
            for inner in lines:
                if inner == delimiter:
                    break
                block.append(inner)
            values[name] = "\n".join(block)
        elif "=" in line:
            name, value = line.split("=", 1)
            values[name] = value
    return values


def run_action(inputs: dict[str, str], *, workspace: Path, temp: Path, env: dict[str, str] | None = None,
               github: dict[str, str] | None = None) -> RunResult:
    result = RunResult()
    given = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
    unknown = set(inputs) - set(given)
    assert not unknown, f"not inputs of action.yml: {unknown}"
    given.update(inputs)
    context = {"github.action_ref": "v0", "github.token": "", **(github or {})}
    summary, runner_env = temp / "step-summary.md", dict(env or os.environ)
    summary.touch()
    runner_env.update(
        GITHUB_ACTIONS="true", GITHUB_ACTION_PATH=str(ROOT), GITHUB_WORKSPACE=str(workspace),
        GITHUB_STEP_SUMMARY=str(summary), RUNNER_TEMP=str(temp), RUNNER_OS="Linux", RUNNER_ARCH="X64",
        GITHUB_RUN_ID="4242", GITHUB_RUN_ATTEMPT="1", GITHUB_REPOSITORY="acme/env", GITHUB_SHA="0" * 40,
        GITHUB_SERVER_URL="https://github.example", PYTHONPATH=str(ROOT),
    )

    def value(expression: str) -> str:
        if expression.startswith("inputs."):
            return given[expression[len("inputs."):]]
        found = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expression)
        if found:
            return result.steps.get(found[1], {}).get(found[2], "")
        if expression in context:
            return context[expression]
        raise AssertionError(f"expression not supported by the test runner: {expression}")

    def evaluate(text: str) -> str:
        return EXPRESSION.sub(lambda m: value(m[1]), str(text))

    def condition(text: str | None) -> bool:
        if not text:
            return result.exit_code == 0
        found = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+) != '(\w*)'", text)
        if found:
            return result.exit_code == 0 and value(f"steps.{found[1]}.outputs.{found[2]}") != found[3]
        found = re.fullmatch(r"always\(\) && steps\.([\w-]+)\.outcome == '(\w+)'", text)
        if found:
            return result.outcomes.get(found[1]) == found[2]
        raise AssertionError(f"condition not supported by the test runner: {text}")

    for index, step in enumerate(ACTION["runs"]["steps"]):
        step_id = step.get("id", f"step{index}")
        if not condition(step.get("if")):
            result.outcomes[step_id] = "skipped"
            continue
        if "uses" in step:
            result.steps[step_id] = _cache_step(step, evaluate)
            result.outcomes[step_id] = "success"
            continue
        output_file, env_file = temp / f"output-{index}", temp / f"env-{index}"
        output_file.write_text("")
        env_file.write_text("")
        step_env = {**runner_env, "GITHUB_OUTPUT": str(output_file), "GITHUB_ENV": str(env_file)}
        step_env.update({name: evaluate(text) for name, text in (step.get("env") or {}).items()})
        done = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=workspace, env=step_env,
                              capture_output=True, text=True, timeout=180)
        result.stdout += done.stdout
        result.stderr += done.stderr
        result.steps[step_id] = parse_file_commands(output_file.read_text())
        runner_env.update(parse_file_commands(env_file.read_text()))
        result.outcomes[step_id] = "success" if done.returncode == 0 else "failure"
        if done.returncode != 0:
            result.exit_code = done.returncode
    result.outputs = {name: evaluate(spec["value"]) for name, spec in ACTION["outputs"].items()}
    return result


def _cache_step(step: dict, evaluate) -> dict[str, str]:
    action = step["uses"].split("@")[0]
    assert action in ("actions/cache/restore", "actions/cache/save"), action
    path = Path(evaluate(step["with"]["path"]))
    if action == "actions/cache/restore" and path.name == "automator-venv":
        path.symlink_to(Path(sys.prefix), target_is_directory=True)  # a hit: the suite's own venv
        return {"cache-hit": "true", "cache-primary-key": evaluate(step["with"]["key"])}
    return {"cache-hit": "false"} if action.endswith("restore") else {}
