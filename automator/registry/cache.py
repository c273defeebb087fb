"""On-disk cache: tag lists and tag digests with a time-to-live, image metadata per digest.

The cache backend is a small interface with two implementations: this one (the default) and
:class:`automator.registry.redis_cache.RedisCache` (``--cache-url``, shared by a fleet):
``get_tags``/``claim_tags``/``wait_tags``/``put_tags``/``abandon_tags``, ``get_digest``/``put_digest``,
``get_created``/``put_created``.

One small JSON file per key, written to a temporary file and renamed into place, so several
processes (parallel CI jobs sharing a restored cache) can read and write at once: a reader sees
the old file or the new one, never half of one. Unreadable entries are treated as missing.

The directory stays bounded (:mod:`automator.registry.cache_sweep`): a tag list or digest read
after its TTL is deleted there and then, none is written when the TTL is 0 (it could never be
read), and opening the cache sweeps it at most once an hour.
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

from automator.registry.cache_sweep import sweep, sweep_due, touch_if_old
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
        now = clock()
        if sweep_due(self.directory, now):
            sweep(self.directory, now, tag_ttl)

    def _path(self, kind: str, key: str) -> Path:
        return self.directory / kind / _file_name(key)

    def _read(self, kind: str, key: str) -> tuple[dict, os.stat_result] | None:
        """The entry and its file's status; None when missing (or deleted meanwhile) or unreadable."""
        try:
            with open(self._path(kind, key), "rb") as handle:
                data = json.loads(handle.read())
                status = os.fstat(handle.fileno())
        except (OSError, ValueError):
            return None
        return (data, status) if isinstance(data, dict) and data.get("key") == key else None

    def _discard(self, kind: str, key: str, read: os.stat_result) -> None:
        """Delete the stale entry that was read, unless another process has replaced it since (a
        write is a rename, so a new entry is a new file). Losing a race only costs a miss."""
        path = self._path(kind, key)
        try:
            if os.stat(path).st_ino == read.st_ino:
                path.unlink()
        except OSError:
            pass

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

    def _read_fresh(self, kind: str, key: str) -> dict | None:
        """An entry of ``tags``/``digests`` within the TTL; a stale one is deleted as it is found."""
        found = self._read(kind, key)
        if found is None:
            return None
        data, status = found
        if self._fresh(data):
            return data
        fetched = data.get("fetched_at")
        if not isinstance(fetched, (int, float)) or self._clock() - fetched > self.tag_ttl:
            self._discard(kind, key, status)  # not one written ahead of this clock by another machine
        return None

    def get_tags(self, repository: str) -> list[str] | None:
        data = self._read_fresh("tags", repository)
        if data is None or not isinstance(data.get("tags"), list):
            return None
        return [t for t in data["tags"] if isinstance(t, str)]

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
        if self.tag_ttl <= 0:  # always asked again: an entry would never be read
            return
        self._write("tags", repository, {"fetched_at": self._clock(), "tags": tags})

    def abandon_tags(self, repository: str) -> None:
        """A listing after a miss failed. Nothing to undo here; a shared cache lets others go."""

    # --- the digest a tag points at: tags move, so it ages like the tag list ----------------------

    def get_digest(self, repository: str, tag: str) -> str | None:
        data = self._read_fresh("digests", f"{repository}:{tag}")
        digest = data.get("digest") if data else None
        return digest if isinstance(digest, str) else None

    def put_digest(self, repository: str, tag: str, digest: str) -> None:
        if self.tag_ttl <= 0:
            return
        self._write("digests", f"{repository}:{tag}", {"fetched_at": self._clock(), "digest": digest})

    # --- metadata per digest (content-addressed, so never stale; swept when unused) ------------

    def get_created(self, digest: str, platform: str) -> tuple[bool, datetime | None]:
        """(found, build time); a cached ``None`` means the image has no build time."""
        key = f"{digest} {platform}"
        found = self._read("meta", key)
        if found is None:
            return False, None
        data, status = found
        touch_if_old(self._path("meta", key), status.st_mtime, self._clock())  # still in use
        return True, parse_time(data.get("created"))

    def put_created(self, digest: str, platform: str, created: datetime | None) -> None:
        self._write("meta", f"{digest} {platform}", {"created": created.isoformat() if created else None})
