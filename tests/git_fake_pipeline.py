"""A small fake of the manifest pipeline's interface (``make_plan``/``apply_plan`` and a tag file
source), used by the git tests only while ``automator.run`` is not available.

It understands just enough of the Flux v1 dialect: a file with ``fluxcd.io/automated: "true"``
has its ``image:`` values moved to the highest dotted-number tag, never downgrading.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

from automator.imageref import parse_image_ref
from automator.model import ImageUse, Plan, PolicySpec, Span, TagInfo, Update

_IMAGE = re.compile(r"^\s*-?\s*image:\s*(?P<ref>\S+)\s*$", re.MULTILINE)


def _version(tag: str) -> tuple[int, ...]:
    return tuple(int(part) for part in tag.split("."))


class FileTagSource:
    def __init__(self, tags: dict[str, list[str]]) -> None:
        self.tags = tags

    @classmethod
    def load(cls, path: Path) -> FileTagSource:
        return cls(json.loads(Path(path).read_text()))

    def list_tags(self, repositories):
        return {repo: [TagInfo(tag) for tag in self.tags.get(repo, [])] for repo in repositories}

    def metadata(self, repository, tags):
        return {tag: TagInfo(tag) for tag in tags}


def make_plan(root: Path, source, *, scan_path: Path | None = None, rules=None, progress=None) -> Plan:
    root = Path(root).resolve()
    base = Path(scan_path).resolve() if scan_path else root
    files = [base] if base.is_file() else sorted(p for p in base.rglob("*.yaml") if ".git" not in p.parts)
    updates = []
    for path in files:
        text = path.read_text()
        if 'fluxcd.io/automated: "true"' not in text:
            continue
        for match in _IMAGE.finditer(text):
            ref = parse_image_ref(match.group("ref"))
            tags = [t.tag for t in source.list_tags([ref.repository])[ref.repository]]
            best = max(tags, key=_version, default=None)
            if best is None or _version(best) <= _version(ref.tag):
                continue
            use = ImageUse(
                file=path.relative_to(root).as_posix(),
                line=text.count("\n", 0, match.start("ref")) + 1,
                span=Span(match.start("ref"), match.end("ref")),
                field="image",
                image=ref,
                container="app",
                policy=PolicySpec("semver:>=1.0.0"),
                dialect="flux-v1",
            )
            updates.append(Update(use, ref.tag, best, ref.with_tag(best), f"{best} is the highest tag"))
    return Plan(updates=tuple(updates))


def apply_plan(root: Path, plan: Plan) -> list[str]:
    changed = []
    for name in plan.files:
        path = Path(root) / name
        text = path.read_text()
        for update in sorted((u for u in plan.updates if u.use.file == name), key=lambda u: -u.use.span.start):
            text = text[: update.use.span.start] + update.new_text + text[update.use.span.end :]
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".automator-")
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.replace(tmp, path)
        changed.append(name)
    return changed
