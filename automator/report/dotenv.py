"""GitLab dotenv report: ``KEY=value`` lines that downstream jobs receive as variables.

GitLab's dotenv artifact accepts one variable per line, names of ASCII letters, digits and
``_``, single-line values (quotes are kept literally, so values are written bare, newlines
folded to spaces), no blank lines or comments, and at most 5 KiB in all. When the values do
not fit, the longest ones are emptied and named in ``AUTOMATOR_TRUNCATED`` so that a
downstream job can tell "no updates" from "too many to pass on".
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from automator.errors import scrub
from automator.report.files import write_report

PREFIX = "AUTOMATOR_"
MAX_BYTES = 5120
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def variable_name(output_name: str, *, prefix: str = PREFIX) -> str:
    name = prefix + re.sub(r"[^A-Za-z0-9_]", "_", output_name).upper()
    if not _NAME.match(name):
        raise ValueError(f"not a valid dotenv variable name: {name!r}")
    return name


def _flat(value: str) -> str:
    return " ".join(scrub(value).replace("\r", "\n").split("\n")).strip()


def _render(values: Mapping[str, str]) -> str:
    return "".join(f"{name}={value}\n" for name, value in values.items())


def render_dotenv(outputs: Mapping[str, str], *, prefix: str = PREFIX, max_bytes: int = MAX_BYTES) -> str:
    values = {variable_name(k, prefix=prefix): _flat(v) for k, v in outputs.items()}
    truncated: list[str] = []
    marker = variable_name("truncated", prefix=prefix)
    while len(_render(values).encode()) > max_bytes and any(values.values()):
        longest = max(values, key=lambda name: len(values[name]))
        values[longest] = ""
        truncated.append(longest)
        values[marker] = ",".join(truncated)
    return _render(values)


def write_dotenv(path: str | os.PathLike[str], outputs: Mapping[str, str]) -> None:
    write_report(path, render_dotenv(outputs))
