"""Every file the documentation points at exists: links and cited docs/, examples/, templates/
and .github/ paths in README.md and docs/*.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")
CITED = re.compile(r"(?<![\w./-])((?:docs|examples|templates|policies|\.github)/[\w.-]+(?:/[\w.-]+)*)")


def cited_paths(document: Path) -> set[tuple[str, Path]]:
    text = document.read_text()
    found = set()
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        found.add((target, (document.parent / target.split("#")[0]).resolve()))
    for path in CITED.findall(text):
        found.add((path, ROOT / path.rstrip(".")))
    return found


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_cited_path_exists(document):
    missing = sorted(text for text, path in cited_paths(document) if not path.exists())
    assert missing == []


def test_the_check_sees_the_paths_it_should():
    cited = {text for text, _ in cited_paths(ROOT / "docs/ci.md")}
    assert {"examples/github/scheduled.yml", "examples/gitlab/.gitlab-ci.yml", "templates/automator.yml"} <= cited
