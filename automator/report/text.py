"""Plain-text renderings for terminals: the update table, problem lines and a run's result."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from automator.errors import one_line, scrub
from automator.model import Plan, Problem, Update
from automator.report.json import policy_text
from automator.result import Committed, Preview, PullRequests, RunResult

HEADER = ("FILE:LINE", "CONTAINER", "IMAGE", "CURRENT -> NEW", "POLICY")


def table(plan: Plan) -> str:
    """One row per planned update (file:line and container tell two uses of one file apart);
    a sentence when there is none."""
    if not plan.updates:
        return f"no updates ({len(plan.uses)} automated image{'s' if len(plan.uses) != 1 else ''} checked)\n"
    rows = [HEADER] + [
        tuple(one_line(cell) for cell in (
            f"{u.use.file}:{u.use.line}",
            u.use.container or "-",
            u.use.image.repository,
            f"{u.from_tag or '(none)'} -> {u.to_tag}",
            policy_text(u.use.policy),
        ))
        for u in plan.updates
    ]
    widths = [max(display_width(row[i]) for row in rows) for i in range(len(HEADER) - 1)]
    lines = ["  ".join(pad(cell, width) for cell, width in zip(row, widths, strict=False)) + "  " + row[-1] for row in rows]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def display_width(text: str) -> int:
    """The columns ``text`` takes on a terminal: two for each wide (CJK, fullwidth) character,
    none for a combining mark."""
    return sum(0 if unicodedata.combining(char) else 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1 for char in text)


def pad(text: str, width: int) -> str:
    """``text`` padded with spaces to ``width`` terminal columns (``str.ljust`` counts characters)."""
    return text + " " * (width - display_width(text))


def problems(items: Sequence[Problem], *, errors_only: bool = False) -> str:
    """One line per problem, scrubbed of secrets (registered after the message was made, too);
    ``errors_only`` (``-q``): the errors alone."""
    return "".join(f"{p.severity}: {one_line(scrub(p.message))}\n" for p in items if not errors_only or p.severity == "error")


# --- the result of a run ----------------------------------------------------------------------


def routed_text(update: Update, reason: str) -> str:
    """One update and why it goes where it goes (a dry run, an error message)."""
    use = update.use
    return one_line(f"{use.file}: {use.image.repository} {update.from_tag or '(none)'} -> {update.to_tag} ({reason})")


def preview_text(outcome: Preview, alone: bool = True) -> str:
    text = table(outcome.plan)
    if outcome.message:
        text += "\ncommit message:\n" + outcome.message.rstrip() + "\n"
    if outcome.to_pull_requests:
        text += "\nwould open or update a pull request for:\n"
        text += "".join(f"  {routed_text(update, reason)}\n" for update, reason in outcome.to_pull_requests)
    return text


def committed_text(outcome: Committed, alone: bool = True) -> str:
    """The committed updates and the commit; "no updates" only when the commit is the only write."""
    change = outcome.change
    text = ""
    if change is not None or alone:
        shown = outcome.plan if change else Plan(problems=outcome.plan.problems, uses=outcome.plan.uses)
        text += table(shown)
    if change is not None:
        where = f"pushed to {change.branch} after {change.attempts} attempt(s)" if outcome.pushed else f"on {change.branch}, not pushed"
        text += f"committed {(change.commit or '')[:12]} {where}\n"
    return text


def request_lines(outcome: PullRequests) -> str:
    """One line per pull request (action, URL or branch, error) and its warnings."""
    lines = []
    for request in outcome.requests:
        where = request.pr.url if request.pr else request.branch
        line = f"{request.action}: {where}" + (f" ({request.branch})" if request.pr else "")
        if request.error:
            line += f": {request.error}"
        lines.append(scrub(line))
        lines += [scrub(f"  warning: {warning}") for warning in request.warnings]
    return "".join(line + "\n" for line in lines)


def pull_requests_text(outcome: PullRequests, alone: bool = True) -> str:
    """The updates put into pull requests, then what happened to each request. Beside a commit
    that only closed stale requests there is no table: "no updates" would contradict the commit."""
    shown = table(outcome.plan) if outcome.plan.updates or alone else ""
    return shown + request_lines(outcome)


SECTIONS = {Preview: preview_text, Committed: committed_text, PullRequests: pull_requests_text}


def result_text(result: RunResult, *, errors_only: bool = False) -> tuple[str, str]:
    """(stdout, stderr) of a run: each write strategy's section, then every problem once
    (``errors_only``: the errors alone)."""
    alone = len(result.outcomes) == 1
    out = "".join(SECTIONS[type(outcome)](outcome, alone) for outcome in result.outcomes)
    if not result.outcomes:
        out = table(result.plan)
    return out, scrub(problems(result.problems, errors_only=errors_only))
