"""Commit messages rendered from the plan (pure).

The template is a Python :class:`string.Template`. Placeholders:

``$summary``   the default first line, e.g. ``Update 2 images in env/prod (nginx 1.25.3, api 2.1.0)``
``$updates``   one line per update: ``- FILE: IMAGE FROM -> TO (POLICY)``
``$count``     number of updates
``$images``    distinct image names, comma separated
``$files``     changed files, comma separated
``$path``      the scanned path, relative to the repository root (``.`` for all of it)
``$branch``    the branch the commit is pushed to

``$$`` is a literal dollar sign; ``\\n`` in a template given on the command line is a newline.
"""

from __future__ import annotations

from string import Template

from automator.errors import ConfigError, one_line
from automator.model import Plan, Update
from automator.report.json import policy_text

DEFAULT_TEMPLATE = "$summary\n\n$updates\n"
PLACEHOLDERS = ("summary", "updates", "count", "images", "files", "path", "branch")
SUMMARY_LIMIT = 72


def image_name(update: Update) -> str:
    return update.use.image.written_name


def update_line(update: Update) -> str:
    use = update.use
    return (
        f"- {one_line(use.file)}: {image_name(update)} {update.from_tag or '(none)'} -> "
        f"{update.to_tag} ({policy_text(use.policy)})"
    )


def summary_line(plan: Plan, path: str = ".") -> str:
    count = len(plan.updates)
    noun = "image" if count == 1 else "images"
    where = "" if path in ("", ".") else f" in {path}"
    head = f"Update {count} {noun}{where}"
    moves = ", ".join(dict.fromkeys(f"{image_name(u).rsplit('/', 1)[-1]} {u.to_tag}" for u in plan.updates))
    line = f"{head} ({moves})"
    return line if len(line) <= SUMMARY_LIMIT else head


def placeholders(plan: Plan, *, path: str = ".", branch: str = "") -> dict[str, str]:
    return {
        "summary": summary_line(plan, path),
        "updates": "\n".join(update_line(u) for u in plan.updates),
        "count": str(len(plan.updates)),
        "images": ", ".join(dict.fromkeys(image_name(u) for u in plan.updates)),
        "files": ", ".join(one_line(f) for f in plan.files),
        "path": path or ".",
        "branch": branch,
    }


def check_template(template: str) -> str:
    """Validate a user template (unknown placeholders are a usage error); return it unescaped."""
    text = template.replace("\\n", "\n")
    try:
        Template(text).substitute({name: "" for name in PLACEHOLDERS})
    except (KeyError, ValueError) as error:
        raise ConfigError(
            f"commit message template has an unknown or malformed placeholder: {error}",
            hint="available: " + ", ".join("$" + name for name in PLACEHOLDERS),
        ) from None
    return text


def render_message(plan: Plan, template: str | None = None, *, path: str = ".", branch: str = "") -> str:
    text = check_template(template) if template else DEFAULT_TEMPLATE
    message = Template(text).substitute(placeholders(plan, path=path, branch=branch))
    return message.strip() + "\n"
