"""Forge answers that are not the API's JSON, and the hints that go with a 404 (pure).

A ``--forge-url`` that points at the web front end instead of the API, or a sign-in page put
in front of the API by a proxy or single sign-on, answers with HTML: the error then says so in
a line (the page's title, never the whole page) and how the API base is written. Every answer
shown is scrubbed of secrets before it is shortened (a page may echo the token it was sent).
"""

from __future__ import annotations

import html
import re

from automator.errors import scrub

MAX_SHOWN = 120
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_HIDDEN = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
API_BASES = {
    "GitHub": "is --forge-url the API base, e.g. https://HOST/api/v3?",
    "GitLab": "is --forge-url the GitLab base, e.g. https://HOST (without /api/v4)?",
}


def looks_like_html(text: str) -> bool:
    start = text.lstrip()[:200].lower()
    return start.startswith(("<!doctype html", "<html", "<head", "<body", "<?xml")) or "<html" in start


def shortened(text: str, limit: int = MAX_SHOWN) -> str:
    """One line of at most ``limit`` characters, scrubbed of secrets first: a secret cut in
    two by the limit would no longer be recognised, and its first part would be shown."""
    line = " ".join(scrub(text).split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def page_text(text: str, limit: int = MAX_SHOWN) -> str:
    """What a forge's answer says, in a line: the title of an HTML page (else its text without
    tags), or the answer itself, shortened."""
    if not looks_like_html(text):
        return shortened(text, limit)
    title = _TITLE.search(text)
    shown = title.group(1) if title and title.group(1).strip() else _TAG.sub(" ", _HIDDEN.sub(" ", text))
    return shortened(html.unescape(shown), limit) or "an HTML page"  # unescaped, then scrubbed, then cut


def without_status(detail: str, status: int) -> str:
    """``"404 Project Not Found"`` -> ``"Project Not Found"``: GitLab repeats the status."""
    return detail.removeprefix(f"{status} ")


def not_json(forge: str, api_url: str, action: str, answer: str = "") -> tuple[str, str]:
    """(message, hint) for an answer that is not the API's JSON."""
    said = f" ({answer})" if answer else ""
    message = f"{forge} at {api_url} did not answer the request to {action} like its API{said}: a web page, sign-in or proxy page?"
    return message, API_BASES[forge]


def not_found_hint(forge: str, project: str, api_url: str, token_variable: str | None) -> str:
    """Why a forge says 404: it says so for a project that exists but the token cannot see."""
    token = f"the token in {token_variable}" if token_variable else "a request without a token"
    noun = "repository" if forge == "GitHub" else "project"
    return f"the {noun} {project} does not exist at {api_url}, or {token} cannot see it; {API_BASES[forge]}"
