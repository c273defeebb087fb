"""Pull request title, body and the hidden marker that lets later runs recognise their PRs (pure).

The body ends with ``<!-- automator:{json} -->``; the JSON holds the format version, the
environment, the branch, the plan fingerprint and the updates. Two runs that plan the same
updates compute the same fingerprint, so the second one knows the PR is already current.
A PR opened with labels, reviewers, assignees or auto-merge to add carries
``"decorated":false`` until they were added; a marker without the key (every PR opened
without them, and those of earlier versions) counts as decorated.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence

from automator.model import Update
from automator.report.json import policy_text
from automator.values import value_type

MARKER_PREFIX = "<!-- automator:"
CLOSE_MARKER = "<!-- automator:closing -->"  # ends the tool's closing comment, so it is posted once
MARKER_VERSION = 1
_MARKUP = re.compile(r"[\\`*_\[\]~$]")  # what would turn a reason into emphasis, links, code or math


@value_type
class Marker:
    """What a pull request body says about the run that wrote it."""

    env: str
    branch: str
    fingerprint: str
    updates: tuple[dict, ...] = ()
    decorated: bool = True  # False: labels, reviewers, assignees, auto-merge are still to add

    @property
    def repositories(self) -> tuple[str, ...]:
        return tuple(sorted({str(u.get("image", "")) for u in self.updates}))

    @property
    def files(self) -> tuple[str, ...]:
        return tuple(sorted({str(u.get("file", "")) for u in self.updates}))


def _update_key(update: Update) -> tuple[str, ...]:
    use = update.use
    return (use.file, use.image.repository, use.container, use.field, update.from_tag, update.to_tag, update.new_text)


def fingerprint(updates: Sequence[Update]) -> str:
    """A digest of what the updates change; line numbers are left out on purpose."""
    canonical = json.dumps(sorted(_update_key(u) for u in updates), separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:20]


def short_name(repository: str) -> str:
    return repository.rsplit("/", 1)[-1]


def render_title(updates: Sequence[Update], env_path: str) -> str:
    where = f" in {env_path}" if env_path not in ("", ".") else ""
    moves = sorted({(u.use.image.repository, u.to_tag) for u in updates})
    if len(moves) == 1:
        repository, tag = moves[0]
        return f"Update {short_name(repository)} to {tag}{where}"
    images = sorted({m[0] for m in moves})
    if len(images) == 1:
        return f"Update {short_name(images[0])}{where}"
    return f"Update {len(images)} images{where}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").strip() or " "


def _code(text: str) -> str:
    """``text`` as a code span: a fence longer than any run of backticks inside, padded with a
    space when the text starts or ends with a backtick (CommonMark strips one of each)."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    padded = f" {text} " if text.startswith("`") or text.endswith("`") else text
    return f"{fence}{padded}{fence}"


def _plain(text: str) -> str:
    """``text`` shown as it is in Markdown: ``&``, ``<`` and ``>`` as entities (GitHub's
    sanitizer drops ``<ts>``), and every character that could start emphasis, a link, code or
    math escaped with a backslash."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKUP.sub(r"\\\g<0>", text)


def marker_json(env_path: str, branch: str, updates: Sequence[Update], *, compact: int = 0, decorated: bool = True) -> str:
    """The marker's JSON. ``compact`` 1 keeps only the distinct (file, image) pairs of the
    updates, which is all later runs read besides the fingerprint; 2 keeps none of them."""
    listed = [{"file": u.use.file, "image": u.use.image.repository, "from": u.from_tag, "to": u.to_tag} for u in sorted(updates, key=_update_key)]
    if compact >= 2:
        listed = []
    elif compact:
        pairs = sorted({(u["file"], u["image"]) for u in listed})
        listed = [{"file": file, "image": image} for file, image in pairs]
    payload = {"v": MARKER_VERSION, "env": env_path, "branch": branch, "fingerprint": fingerprint(updates), "updates": listed}
    if not decorated:
        payload["decorated"] = False
    # '>' is escaped so that no value can end the HTML comment early
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).replace(">", "\\u003e")


def _row(u: Update) -> str:
    cells = (
        _code(f"{u.use.file}:{u.use.line}"),
        _code(u.use.image.repository),
        f"{_code(u.from_tag)} -> {_code(u.to_tag)}",
        _code(policy_text(u.use.policy)),
        _plain(u.reason),
    )
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def render_body(
    updates: Sequence[Update], *, env_path: str, branch: str, limit: int | None = None, noun: str = "pull request", decorated: bool = True
) -> str:
    """The PR/MR body (``noun``: what the forge calls it): an introduction, one table row per
    update, and the hidden marker (``decorated=False``: saying that labels and the like are
    still to be added).

    A body longer than ``limit`` characters (the forge's maximum) is shortened, not refused:
    the table keeps the rows that fit and a note says how many are left out and where the
    whole change is (the branch's commit); the marker always stays whole, in a compact form
    if it must (see :func:`marker_json`).
    """
    head = [
        "| File | Image | From -> To | Policy | Reason |",
        "| --- | --- | --- | --- | --- |",
    ]
    rows = [_row(u) for u in sorted(updates, key=lambda u: (u.use.file, u.use.line, u.use.image.repository))]
    where = env_path if env_path not in ("", ".") else "the repository"
    intro = f"This {noun} moves automated images in `{where}` to the tags their policies select."
    footer = "It is kept current by Deployment Automator; edits to this branch are overwritten."

    def body(shown: list[str], note: list[str], compact: int) -> str:
        marker = f"{MARKER_PREFIX}{marker_json(env_path, branch, updates, compact=compact, decorated=decorated)} -->"
        return "\n".join([intro, "", *head, *shown, *note, "", footer, "", marker, ""])

    full = body(rows, [], 0)
    if limit is None or len(full) <= limit:
        return full
    for compact in (0, 1, 2):
        note = _shortened_note(len(rows), len(rows), limit, branch)
        room = limit - len(body([], note, compact))
        if room < 0:
            continue
        shown: list[str] = []
        for row in rows:
            if room < len(row) + 1:
                break
            shown.append(row)
            room -= len(row) + 1
        note = _shortened_note(len(rows) - len(shown), len(rows), limit, branch)
        return body(shown, note, compact)
    raise ValueError(f"no description fits in {limit} characters")  # not for any real forge limit


def _shortened_note(left_out: int, total: int, limit: int, branch: str) -> list[str]:
    return [
        "",
        f"**{left_out} of {total} updates are not listed here**: the description would exceed the "
        f"forge's limit of {limit:,} characters. The commit on `{branch}` carries every change.",
    ]


def parse_marker(body: str | None) -> Marker | None:
    """The marker in a pull request body, or None when the PR was not written by the tool."""
    text = body or ""
    start = text.find(MARKER_PREFIX + "{")
    end = text.find("} -->", start) if start >= 0 else -1
    if end < 0:
        return None
    try:
        data = json.loads(text[start + len(MARKER_PREFIX) : end + 1])
        return Marker(
            env=str(data["env"]),
            branch=str(data["branch"]),
            fingerprint=str(data["fingerprint"]),
            updates=tuple(u for u in data.get("updates", ()) if isinstance(u, dict)),
            decorated=data.get("decorated", True) is not False,
        )
    except (ValueError, KeyError, TypeError):
        return None
