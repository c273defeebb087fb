"""GitLab dotenv report: ``KEY=value`` lines that downstream jobs receive as variables.

GitLab's dotenv artifact accepts one variable per line, names of ASCII letters, digits and
``_``, single-line values (quotes are kept literally, so values are written bare, newlines
folded to spaces), no blank lines or comments, and at most 5 KiB in all. When the values do
not fit, JSON lists of records are shortened first: their ``reason`` fields go, then
``policy``, ``container`` and ``repository`` (``file``, ``line``, ``image``, ``from`` and ``to``
stay), and ``AUTOMATOR_DROPPED_FIELDS`` names what went. Only when that is not enough are the
longest values emptied and named in ``AUTOMATOR_TRUNCATED``, so that a downstream job can
tell "no updates" from "too many to pass on".
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping

from automator.errors import scrub
from automator.report.files import write_report

PREFIX = "AUTOMATOR_"
MAX_BYTES = 5120
# what goes first when a list of records does not fit, one step at a time
DROPPABLE_FIELDS = (("reason",), ("policy", "container", "repository"))
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
    dropped: list[str] = []
    for fields in DROPPABLE_FIELDS:
        if _size(values) <= max_bytes:
            break
        shorter = {name: _without(value, fields) for name, value in values.items()}
        if shorter != values:
            values, dropped = shorter, dropped + list(fields)
            values[variable_name("dropped fields", prefix=prefix)] = ",".join(dropped)
    truncated: list[str] = []
    marker = variable_name("truncated", prefix=prefix)
    while _size(values) > max_bytes and any(values.values()):
        longest = max(values, key=lambda name: len(values[name]))
        values[longest] = ""
        truncated.append(longest)
        values[marker] = ",".join(truncated)
    return _render(values)


def _size(values: Mapping[str, str]) -> int:
    return len(_render(values).encode())


def _without(value: str, fields: tuple[str, ...]) -> str:
    """A JSON list of objects without ``fields``; any other value unchanged."""
    if not value.startswith("["):
        return value
    try:
        records = json.loads(value)
    except ValueError:
        return value
    if not (isinstance(records, list) and records and all(isinstance(r, dict) for r in records)):
        return value
    if not any(field in record for record in records for field in fields):
        return value
    kept = [{k: v for k, v in record.items() if k not in fields} for record in records]
    return json.dumps(kept, separators=(",", ":"), sort_keys=True)


def write_dotenv(path: str | os.PathLike[str], outputs: Mapping[str, str]) -> None:
    write_report(path, render_dotenv(outputs))
