"""Why each automated image moves or stays: the data of ``automator explain`` (pure)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from automator.model import ImageUse, Plan, Problem, Selection, Update
from automator.report.json import policy_text

EXCLUDED_SHOWN = 10


def _key(use: ImageUse) -> tuple[str, int, int]:
    return (use.file, use.span.start, use.span.end)


def explanations(
    plan: Plan,
    decisions: Sequence[tuple[ImageUse, Selection]],
    write_mode: Callable[[Update], str] = lambda update: "commit",
) -> list[dict]:
    """One entry per automated image, in file order, whatever became of it: the images planned,
    and those left alone before planning (an error naming their file and line). Every entry
    has every field."""
    chosen = {_key(use): selection for use, selection in decisions}
    updates = {_key(u.use): u for u in plan.updates}
    errors: dict[tuple[str, int | None], Problem] = {}
    for problem in plan.errors:
        errors.setdefault((problem.file, problem.line), problem)
    out = [
        use_entry(use, chosen.get(_key(use)), updates.get(_key(use)), errors.get((use.file, use.line)), write_mode)
        for use in sorted(plan.uses, key=lambda u: (u.file, u.span.start))
    ]
    covered = {(e["file"], e["line"]) for e in out}
    out += [left_alone_entry(p) for where, p in errors.items() if p.file and p.line and where not in covered]
    return sorted(out, key=lambda e: (e["file"], e["line"]))


def use_entry(use: ImageUse, selection: Selection | None, update: Update | None, error: Problem | None,
              write_mode: Callable[[Update], str]) -> dict:
    """An image that was planned: it moves, stays, or failed (its error, even when a tag was
    chosen: the digest of the chosen tag may be what could not be learnt)."""
    return {
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
        **verdict(selection, update, error, write_mode),
        "considered": selection.considered if selection else 0,
        "excluded": [{"tag": tag, "reason": why} for tag, why in selection.excluded] if selection else [],
        "excluded_count": max(selection.excluded_count, len(selection.excluded)) if selection else 0,
    }


def verdict(selection: Selection | None, update: Update | None, error: Problem | None,
            write_mode: Callable[[Update], str]) -> dict:
    if update is not None:
        return {"verdict": "moves", "to": update.to_tag, "reason": update.reason, "write": write_mode(update),
                "writes": update.new_text}
    if error is None and selection is not None and selection.chosen is not None:
        return {"verdict": "stays", "to": selection.chosen, "reason": selection.reason, "write": None, "writes": None}
    why = error.message if error else (selection.reason if selection else "not processed")
    return {"verdict": "error", "to": None, "reason": why, "write": None, "writes": None}


def left_alone_entry(problem: Problem) -> dict:
    """An automated image left alone before planning (a YAML anchor shared with another policy,
    a block scalar, a file held by --strict): where, and why."""
    return {
        "file": problem.file, "line": problem.line, "image": problem.image, "container": "", "workload": "",
        "dialect": "", "policy": "", "current": "", "field": "", "holds": None,
        "verdict": "error", "to": None, "reason": problem.message, "write": None, "writes": None,
        "considered": 0, "excluded": [], "excluded_count": 0,
    }


def origin(entry: dict) -> str:
    """Where the image is configured: its container, or for Argo CD its alias and Application."""
    if entry["dialect"] == "argocd" and entry.get("workload", "").startswith("Application/"):
        return f"alias {entry['container']} of Application {entry['workload'].partition('/')[2]}"
    return f"container {entry['container']}"


def heading(entry: dict) -> str:
    """``file:line  image  (where, dialect)``; an image left alone before it was read: where it is."""
    where = f"{entry['file']}:{entry['line']}  {entry['image'] or '(automated image)'}"
    return f"{where}  ({origin(entry)}, {entry['dialect']})" if entry["dialect"] else where


def render_text(entries: Sequence[dict]) -> str:
    if not entries:
        return "no automated images found\n"
    lines = []
    for e in entries:
        lines.append(heading(e))
        if e["policy"]:
            lines.append(f"  policy: {e['policy']}")
        current = e["current"] or "(no tag)"
        held = e.get("holds")
        if e["verdict"] == "moves":  # a name or digest field moves from what it holds, not from the tag
            was = (held or "(none)") if held is not None else current
            lines.append(f"  moves: {was} -> {e['to']} (write: {e['write']})")
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
        elif e["considered"] or e["verdict"] != "error":
            lines.append(f"  considered: {e['considered']} tag{'' if e['considered'] == 1 else 's'}")
        lines.append("")
    return "\n".join(lines)
