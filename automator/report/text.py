"""Plain-text renderings for terminals: the update table and problem lines."""

from __future__ import annotations

from collections.abc import Sequence

from automator.model import Plan, Problem
from automator.report.json import policy_text

HEADER = ("FILE", "IMAGE", "CURRENT -> NEW", "POLICY")


def table(plan: Plan) -> str:
    """One row per planned update; a sentence when there is none."""
    if not plan.updates:
        return f"no updates ({len(plan.uses)} automated image{'s' if len(plan.uses) != 1 else ''} checked)\n"
    rows = [HEADER] + [
        (u.use.file, u.use.image.repository, f"{u.from_tag or '(none)'} -> {u.to_tag}", policy_text(u.use.policy))
        for u in plan.updates
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER) - 1)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[-1] for row in rows]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def problems(items: Sequence[Problem]) -> str:
    return "".join(f"{p.severity}: {p.message}\n" for p in items)
