"""The plan as Markdown: pull/merge request bodies, job summaries and report artifacts.

A table of file, image, from -> to, policy and reason, then the problems as a list.
Cell text is escaped so that a ``|`` or a newline in a reason cannot break the table.
"""

from __future__ import annotations

from automator.errors import one_line, scrub
from automator.model import Change, Plan, Problem, Update
from automator.report.json import policy_text

DEFAULT_TITLE = "Image updates"


def cell(text: str) -> str:
    """Text safe inside one Markdown table cell (GitHub and GitLab flavours)."""
    text = scrub(text).replace("\\", "\\\\").replace("|", "\\|")
    return " ".join(text.replace("\r", " ").replace("\n", " ").split())


def code(text: str) -> str:
    """Inline code that survives backticks inside the text, on one line (a line break in a file
    name would end a table row)."""
    text = one_line(text)
    fence = "``" if "`" in text else "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}" if text else ""


def _location(file: str, line: int | None) -> str:
    return f"{file}:{line}" if file and line else file


def update_row(update: Update) -> str:
    use = update.use
    cells = (
        code(_location(use.file, use.line)),
        code(use.image.written_name),
        f"{code(update.from_tag)} -> {code(update.to_tag)}",
        code(policy_text(use.policy)),
        cell(update.reason),
    )
    return "| " + " | ".join(c.replace("|", "\\|") if i < 4 else c for i, c in enumerate(cells)) + " |"


def problem_message(problem: Problem) -> str:
    """The message without the ``file:line: image:`` it starts with, for a list item that
    shows the location and the image already."""
    message = scrub(problem.message)
    leads = (f"{problem.file}:{problem.line}: " if problem.file and problem.line else "",
             f"{problem.file}: " if problem.file else "", f"{problem.image}: " if problem.image else "")
    for lead in leads:
        if lead and message.startswith(lead):
            message = message[len(lead):]
    return message


def problem_item(problem: Problem) -> str:
    where = _location(problem.file, problem.line)
    parts = [f"**{problem.severity}**"]
    if where:
        parts.append(code(where))
    if problem.image:
        parts.append(code(problem.image))
    return f"- {' '.join(parts)}: {cell(problem_message(problem))}"


def render_markdown(plan: Plan, change: Change | None = None, *, title: str = DEFAULT_TITLE) -> str:
    lines = [f"### {cell(title)}", ""]
    count = len(plan.updates)
    if count:
        noun = "update" if count == 1 else "updates"
        lines += [f"{count} image {noun} in {len(plan.files)} file(s).", ""]
        lines += ["| File | Image | From -> To | Policy | Reason |", "| --- | --- | --- | --- | --- |"]
        lines += [update_row(u) for u in plan.updates]
    else:  # with errors, some image may well need one: what failed is said below
        lines.append("No image was updated (see the problems below)." if plan.errors else "No image needs an update.")
    if change is not None:
        lines.append("")
        if change.pr_url:
            lines.append(f"Pull request: {change.pr_url}")
        if change.commit:
            target = f" on `{change.branch}`" if change.branch else ""
            lines.append(f"Commit: `{change.commit[:12]}`{target}")
    if plan.problems:
        lines += ["", f"#### Problems ({len(plan.problems)})", ""]
        lines += [problem_item(p) for p in plan.problems]
    return "\n".join(lines) + "\n"
