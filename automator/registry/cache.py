"""On-disk cache: tag lists and tag digests with a time-to-live, image metadata per digest forever.

The cache backend is a small interface with two implementations: this one (the default) and
:class:`automator.registry.redis_cache.RedisCache` (``--cache-url``, shared by a fleet):
``get_tags``/``claim_tags``/``wait_tags``/``put_tags``/``abandon_tags``, ``get_digest``/``put_digest``,
``get_created``/``put_created``.

One small JSON file per key, written to a temporary file and renamed into place, so several
processes (parallel CI jobs sharing a restored cache) can read and write at once: a reader sees
the old file or the new one, never half of one. Unreadable entries are treated as missing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from automator.registry.formats import parse_time

log = logging.getLogger("automator.registry")

DEFAULT_TAG_TTL = 300.0
VERSION = "v1"


class ListingElsewhere:
    """What :meth:`RegistryCache.claim_tags` answers while another process lists the repository."""

    def __repr__(self) -> str:
        return "LISTING_ELSEWHERE"


LISTING_ELSEWHERE = ListingElsewhere()


def _file_name(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:40] + ".json"


class RegistryCache:
    def __init__(self, directory: Path, *, tag_ttl: float = DEFAULT_TAG_TTL, clock: Callable[[], float] = time.time) -> None:
        self.directory = Path(directory) / VERSION
        self.tag_ttl = tag_ttl
        self._clock = clock

    def _path(self, kind: str, key: str) -> Path:
        return self.directory / kind / _file_name(key)

    def _read(self, kind: str, key: str) -> dict | None:
        try:
            data = json.loads(self._path(kind, key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) and data.get("key") == key else None

    def _write(self, kind: str, key: str, data: dict) -> None:
        target = self._path(kind, key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    json.dump({**data, "key": key}, handle)
                os.replace(temp, target)
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
        except OSError as error:  # a read-only or full cache never fails the run
            log.warning("cannot write the registry cache in %s: %s", self.directory, error.strerror)

    # --- tag lists -----------------------------------------------------------------------------

    def _fresh(self, data: dict | None) -> bool:
        fetched = data.get("fetched_at") if data else None
        return isinstance(fetched, (int, float)) and 0 <= self._clock() - fetched <= self.tag_ttl

    def get_tags(self, repository: str) -> list[str] | None:
        data = self._read("tags", repository)
        if not self._fresh(data) or not isinstance(data.get("tags"), list):  # type: ignore[union-attr]
            return None
        return [t for t in data["tags"] if isinstance(t, str)]  # type: ignore[index]

    def claim_tags(self, repository: str) -> list[str] | None | ListingElsewhere:
        """Like :meth:`get_tags` but never waits: a shared cache answers ``LISTING_ELSEWHERE``
        while another process lists the repository (then ``wait_tags`` for it). A disk cache
        has nobody to wait for."""
        return self.get_tags(repository)

    def wait_tags(self, repositories: Sequence[str]) -> dict[str, list[str] | None]:
        """The tags of repositories ``claim_tags`` said another process is listing, once they
        land; None for each one the caller must list itself."""
        return {r: self.get_tags(r) for r in repositories}

    def put_tags(self, repository: str, tags: list[str]) -> None:
        self._write("tags", repository, {"fetched_at": self._clock(), "tags": tags})

    def abandon_tags(self, repository: str) -> None:
        """A listing after a miss failed. Nothing to undo here; a shared cache lets others go."""

    # --- the digest a tag points at: tags move, so it ages like the tag list ----------------------

    def get_digest(self, repository: str, tag: str) -> str | None:
        data = self._read("digests", f"{repository}:{tag}")
        digest = data.get("digest") if data else None
        return digest if self._fresh(data) and isinstance(digest, str) else None

    def put_digest(self, repository: str, tag: str, digest: str) -> None:
        self._write("digests", f"{repository}:{tag}", {"fetched_at": self._clock(), "digest": digest})

    # --- metadata per digest (content-addressed, so never stale) -------------------------------

    def get_created(self, digest: str, platform: str) -> tuple[bool, datetime | None]:
        """(found, build time); a cached ``None`` means the image has no build time."""
        data = self._read("meta", f"{digest} {platform}")
        if data is None:
            return False, None
        return True, parse_time(data.get("created"))

    def put_created(self, digest: str, platform: str, created: datetime | None) -> None:
        self._write("meta", f"{digest} {platform}", {"created": created.isoformat() if created else None})
