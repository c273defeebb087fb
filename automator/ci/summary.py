"""The job summary of a GitHub run: what changed, linked to the lines, and what stayed.

Unlike the Markdown report (which must read the same anywhere), the summary knows where it
runs: each file links to its line at the commit the run pushed (or the pull request's head,
or the checked-out commit for a dry run), a dry run says so in its title, problems are listed
once each, and the images that stayed are folded into a ``<details>`` block with a short
reason, so a run over hundreds of images stays readable.
"""

from __future__ import annotations

from urllib.parse import quote

from automator.model import Change, ImageUse, Plan, Problem, Update
from automator.report.json import policy_text
from automator.report.markdown import cell, code, problem_message
from automator.values import value_type

DRY_RUN_LABEL = "dry run — nothing written"


@value_type
class Links:
    """Where files of this run can be seen: ``{server}/{repository}/blob/{sha}/{prefix}{file}``."""

    server: str
    repository: str
    sha: str
    prefix: str = ""

    def line(self, file: str, line: int | None) -> str:
        path = quote(f"{self.prefix.strip('/')}/{file}".lstrip("/"))
        return f"{self.server.rstrip('/')}/{self.repository}/blob/{self.sha}/{path}" + (f"#L{line}" if line else "")

    def commit(self, sha: str) -> str:
        return f"{self.server.rstrip('/')}/{self.repository}/commit/{sha}"


def _one_line(text: str) -> str:
    """``text`` with each CR and LF as a space: a line break would end a table row or a list item."""
    return text.replace("\r", " ").replace("\n", " ")


def _in_table(markdown: str) -> str:
    """Markdown (inline code, a link) safe inside one table cell: each ``|`` escaped, as
    :func:`automator.report.markdown.update_row` escapes its cells."""
    return markdown.replace("|", "\\|")


def _row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def _where(file: str, line: int | None, links: Links | None) -> str:
    if not file:
        return ""
    text = code(_one_line(f"{file}:{line}" if line else file))
    return f"[{text}]({links.line(file, line)})" if links else text


def _update_row(update: Update, links: Links | None) -> str:
    use = update.use
    return _row(
        _in_table(_where(use.file, use.line, links)),
        _in_table(code(use.image.written_name)),
        _in_table(f"{code(update.from_tag)} -> {code(update.to_tag)}"),
        _in_table(code(policy_text(use.policy))),
        cell(update.reason),
    )


def _stayed_row(use: ImageUse, why: str, links: Links | None) -> str:
    return _row(
        _in_table(_where(use.file, use.line, links)),
        _in_table(code(use.image.written_name)),
        _in_table(code(use.image.tag or use.image.digest or "")),
        _in_table(why),
    )


def _problem_item(problem: Problem, links: Links | None, severity: str) -> str:
    parts = [f"**{severity}**"]
    if problem.file:
        parts.append(_where(problem.file, problem.line, links))
    if problem.image:
        parts.append(code(_one_line(problem.image)))
    return f"- {' '.join(parts)}: {cell(problem_message(problem))}"


def _key(use: ImageUse) -> tuple:
    return (use.file, use.line, use.span, use.container)


def stayed(plan: Plan) -> list[tuple[ImageUse, str]]:
    """Images the plan leaves as they are, each with a short reason."""
    moved = {_key(u.use) for u in plan.updates}
    troubled = {(p.file, p.line) for p in plan.problems}
    result = []
    for use in plan.uses:
        if _key(use) in moved:
            continue
        if (use.file, use.line) in troubled:
            why = "not checked: see the problems above"
        else:
            why = f"already the newest tag {code(policy_text(use.policy))} allows"
        result.append((use, why))
    return result


def render_summary(
    plan: Plan,
    change: Change | None = None,
    *,
    links: Links | None = None,
    dry_run: bool = False,
    problems_as: str = "",
    title: str = "Image updates",
) -> str:
    heading = f"{title} — {DRY_RUN_LABEL}" if dry_run else title
    lines = [f"### {cell(heading)}", ""]
    count = len(plan.updates)
    if count:
        noun = "update" if count == 1 else "updates"
        verb = "would change" if dry_run else "in"
        lines += [f"{count} image {noun} {verb} {len(plan.files)} file(s).", ""]
        lines += ["| File | Image | From -> To | Policy | Reason |", "| --- | --- | --- | --- | --- |"]
        lines += [_update_row(u, links) for u in plan.updates]
    else:  # with errors, some image may well need one: what failed is said below
        lines.append("No image was updated (see the problems below)." if plan.errors else "No image needs an update.")
    if change is not None and (change.pr_url or change.commit):
        lines.append("")
        if change.pr_url:
            lines.append(f"Pull request: {change.pr_url}")
        if change.commit:
            sha = code(change.commit[:12])
            shown = f"[{sha}]({links.commit(change.commit)})" if links else sha
            lines.append(f"Commit: {shown}" + (f" on {code(change.branch)}" if change.branch else ""))
    if plan.problems:
        lines += ["", f"#### Problems ({len(plan.problems)})", ""]
        if problems_as:
            lines += [f"Reported as {problems_as}s (`fail-on-problems: false`).", ""]
        lines += [_problem_item(p, links, problems_as or p.severity) for p in plan.problems]
    still = stayed(plan)
    if still:
        noun = "image" if len(still) == 1 else "images"
        lines += ["", f"<details><summary>{len(still)} {noun} stayed</summary>", ""]
        lines += ["| File | Image | Tag | Why |", "| --- | --- | --- | --- |"]
        lines += [_stayed_row(use, why, links) for use, why in still]
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"
