"""GitHub Actions workflow commands, step outputs and the job summary (pure text + file appends).

Workflow commands are lines on stdout: ``::error file=a.yaml,line=3,title=T::message``.
The runner decodes ``%25``, ``%0D``, ``%0A`` in messages and additionally ``%3A`` and
``%2C`` in property values; escaping them is what keeps a colon in a file name or a newline in
a message from cutting the command short. See the "Workflow commands for GitHub Actions" docs.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable, Mapping
from pathlib import Path

from automator.errors import scrub
from automator.model import Plan, Problem, Update
from automator.report.json import policy_text

SEVERITY_COMMAND = {"error": "error", "warning": "warning"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str = "", **properties: object) -> str:
    """One workflow command line; properties with value None or "" are left out."""
    props = ",".join(
        f"{key}={escape_property(str(value))}" for key, value in properties.items() if value not in (None, "")
    )
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def mask_commands(values: Iterable[str]) -> list[str]:
    """``::add-mask::`` for each secret (one line per line of a multi-line secret)."""
    lines: list[str] = []
    for value in sorted(set(values)):
        lines += [command("add-mask", part) for part in value.splitlines() if part.strip()]
    return lines


def problem_annotation(problem: Problem, *, prefix: str = "") -> str:
    title = f"automator: {problem.image}" if problem.image else "automator"
    return command(
        SEVERITY_COMMAND.get(problem.severity, "warning"),
        scrub(problem.message),
        file=_path(prefix, problem.file),
        line=problem.line,
        title=title,
    )


def update_annotation(update: Update, *, prefix: str = "") -> str:
    use = update.use
    return command(
        "notice",
        f"{use.image.written_name}: {update.from_tag} -> {update.to_tag} ({scrub(update.reason)})",
        file=_path(prefix, use.file),
        line=use.line,
        title=f"automator: {policy_text(use.policy)}",
    )


def annotations(plan: Plan, *, prefix: str = "") -> list[str]:
    """Problems as errors/warnings and updates as notices, anchored at their file and line."""
    lines = [problem_annotation(p, prefix=prefix) for p in plan.problems]
    return lines + [update_annotation(u, prefix=prefix) for u in plan.updates]


def _path(prefix: str, file: str) -> str:
    if not file or not prefix or prefix in (".", "./"):
        return file
    return f"{prefix.rstrip('/')}/{file}"


# --- files the runner reads back -------------------------------------------------------------


def output_block(name: str, value: str, *, delimiter: str | None = None) -> str:
    """``name<<DELIM`` / value / ``DELIM``: safe for any value, multi-line included."""
    delimiter = delimiter or f"ghadelimiter_{secrets.token_hex(16)}"
    if delimiter in value or delimiter in name:
        raise ValueError("the output delimiter occurs in the value")
    return f"{name}<<{delimiter}\n{value}\n{delimiter}\n"


def append_text(path: str | os.PathLike[str], text: str) -> None:
    """Append to a runner file (``$GITHUB_OUTPUT``, ``$GITHUB_STEP_SUMMARY``) in one write."""
    with Path(path).open("a", encoding="utf-8") as handle:
        handle.write(text)


def write_outputs(path: str | os.PathLike[str], outputs: Mapping[str, str]) -> None:
    append_text(path, "".join(output_block(k, scrub(v)) for k, v in outputs.items()))


def append_step_summary(path: str | os.PathLike[str], markdown: str) -> None:
    append_text(path, scrub(markdown) if markdown.endswith("\n") else scrub(markdown) + "\n")
