"""Whether a name can be a branch: git's rules for ``refs/heads/NAME`` (pure), the answer of
``git check-ref-format --branch NAME`` without starting a process."""

from __future__ import annotations

FORBIDDEN = frozenset(" ~^:?*[\\")


def branch_name_problem(name: str) -> str:
    """Why ``name`` cannot be a branch name ('' when it can)."""
    if not name:
        return "it is empty"
    if name.startswith("-"):
        return "it starts with `-`"
    bad = sorted({c for c in name if c in FORBIDDEN or ord(c) < 0x20 or ord(c) == 0x7F})
    if bad:
        return "it holds " + ", ".join(repr(c) for c in bad)
    for part, why in (("..", "`..`"), ("@{", "`@{`"), ("//", "an empty part (`//`)")):
        if part in name:
            return f"it holds {why}"
    if name.startswith("/") or name.endswith("/") or name.endswith("."):
        return "it starts or ends with `/`, or ends with `.`"
    for component in name.split("/"):
        if component.startswith(".") or component.endswith(".lock"):
            return f"its part {component!r} starts with `.` or ends with `.lock`"
    return ""
