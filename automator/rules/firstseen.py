"""When each tag was first seen: the age of tags whose build time is unknown.

The state is a small JSON file in the cache directory, ``{repository: {tag: iso-time}}``.
:func:`remember` is pure; :class:`FirstSeenFile` is the I/O edge (atomic replace).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path

log = logging.getLogger(__name__)

State = Mapping[str, Mapping[str, str]]
FILE_NAME = "first-seen.json"


def remember(state: State, repository: str, tags: Iterable[str], now: datetime) -> dict[str, dict[str, str]]:
    """A new state where every tag of ``repository`` not seen before is first seen ``now``."""
    out = {repo: dict(seen) for repo, seen in state.items()}
    seen = out.setdefault(repository, {})
    for tag in tags:
        seen.setdefault(tag, now.isoformat())
    return out


def first_seen(state: State, repository: str, tag: str) -> datetime | None:
    text = state.get(repository, {}).get(tag)
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


class FirstSeenFile:
    def __init__(self, cache_dir: Path | None) -> None:
        self.path = cache_dir / FILE_NAME if cache_dir else None

    def load(self) -> dict[str, dict[str, str]]:
        if self.path is None or not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            log.warning("ignoring unreadable first-seen state %s: %s", self.path, error)
            return {}
        if not isinstance(data, dict):
            return {}
        return {str(r): {str(t): str(v) for t, v in s.items()} for r, s in data.items() if isinstance(s, dict)}

    def save(self, state: State) -> None:
        if self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".first-seen.", dir=self.path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(state, handle, indent=1, sort_keys=True)
            os.replace(tmp, self.path)
        except OSError as error:
            log.warning("could not save first-seen state %s: %s", self.path, error)
