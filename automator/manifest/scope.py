"""Which problems concern the scanned path (pure).

The ImagePolicies of the whole repository are read for every run, so a broken Flux object in
another team's directory is found too. It does not concern a run of another path: it is a
warning there and never stops its environments. A marker under the path that needs such an
object still gets its own error from the Flux v2 dialect.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from automator.model import Problem


def within(file: str, prefix: str) -> bool:
    """Is the root-relative ``file`` at or under the root-relative ``prefix``?"""
    return prefix in ("", ".") or file == prefix or file.startswith(prefix.rstrip("/") + "/")


def outside_path_as_warnings(problems: Iterable[Problem], prefix: str) -> list[Problem]:
    """Problems of files outside the scanned path (a broken Flux object in another team's
    directory) do not concern it: warnings, so they never stop its environments. A marker
    under the path that needs such an object still gets its own error."""
    found = []
    for problem in problems:
        if problem.file and problem.severity == "error" and not within(problem.file, prefix):
            problem = replace(problem, severity="warning", message=f"{problem.message} (outside {prefix}; not used there)")
        found.append(problem)
    return found
