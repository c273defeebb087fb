"""Why each automated image moves or stays: the data of ``automator explain`` (pure)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from automator.model import ImageUse, Plan, Selection, Update
from automator.report.json import policy_text

EXCLUDED_SHOWN = 10


def _key(use: ImageUse) -> tuple[str, int, int]:
    return (use.file, use.span.start, use.span.end)


def explanations(
    plan: Plan,
    decisions: Sequence[tuple[ImageUse, Selection]],
    write_mode: Callable[[Update], str] = lambda update: "commit",
) -> list[dict]:
    """One entry per automated image, in file order, whatever became of it."""
    chosen = {_key(use): selection for use, selection in decisions}
    updates = {_key(u.use): u for u in plan.updates}
    problems = {(p.file, p.line): p for p in plan.problems if p.severity == "error"}
    out = []
    for use in sorted(plan.uses, key=lambda u: (u.file, u.span.start)):
        selection, update = chosen.get(_key(use)), updates.get(_key(use))
        entry = {
            "file": use.file,
            "line": use.line,
            "image": use.image.repository,
            "container": use.container,
            "workload": use.workload,
            "dialect": use.dialect,
            "policy": policy_text(use.policy),
            "current": use.image.tag or "",
            "field": use.field,
            "holds": use.current if use.field in ("name", "digest") else None,  # what such a field holds
        }
        if update is not None:
            entry.update(verdict="moves", to=update.to_tag, reason=update.reason, write=write_mode(update), writes=update.new_text)
        elif selection is not None and selection.chosen is not None:
            entry.update(verdict="stays", to=selection.chosen, reason=selection.reason)
        else:
            problem = problems.get((use.file, use.line))
            why = selection.reason if selection else (problem.message if problem else "not processed")
            entry.update(verdict="error", to=None, reason=why)
        if selection is not None:
            entry["considered"] = selection.considered
            entry["excluded"] = [{"tag": tag, "reason": why} for tag, why in selection.excluded]
            entry["excluded_count"] = max(selection.excluded_count, len(selection.excluded))
        out.append(entry)
    return out


def origin(entry: dict) -> str:
    """Where the image is configured: its container, or for Argo CD its alias and Application."""
    if entry["dialect"] == "argocd" and entry.get("workload", "").startswith("Application/"):
        return f"alias {entry['container']} of Application {entry['workload'].partition('/')[2]}"
    return f"container {entry['container']}"


def render_text(entries: Sequence[dict]) -> str:
    if not entries:
        return "no automated images found\n"
    lines = []
    for e in entries:
        lines.append(f"{e['file']}:{e['line']}  {e['image']}  ({origin(e)}, {e['dialect']})")
        lines.append(f"  policy: {e['policy']}")
        current = e["current"] or "(no tag)"
        held = e.get("holds")
        if e["verdict"] == "moves":
            lines.append(f"  moves: {current} -> {e['to']} (write: {e['write']})")
            if e.get("writes") and e["writes"] != e["to"]:
                lines.append(f"  writes: {e['writes']}")
        elif e["verdict"] == "stays" and held is not None:
            lines.append(f"  stays: {held} (the {e.get('field')} of the chosen tag {e['to']})")
        elif e["verdict"] == "stays":
            lines.append(f"  stays: {current}")
        else:
            lines.append("  error")
        lines.append(f"  why: {e['reason']}")
        excluded = e.get("excluded", [])
        if excluded:
            lines.append(f"  excluded ({e['excluded_count']} of {e['considered']} tags considered):")
            shown = excluded[:EXCLUDED_SHOWN]
            lines.extend(f"    {x['tag']}: {x['reason']}" for x in shown)
            if e["excluded_count"] > len(shown):
                lines.append(f"    ... and {e['excluded_count'] - len(shown)} more (the best tag of each reason is shown)")
        elif "considered" in e:
            lines.append(f"  considered: {e['considered']} tag{'' if e['considered'] == 1 else 's'}")
        lines.append("")
    return "\n".join(lines)
