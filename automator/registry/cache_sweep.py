"""Keeping the disk cache bounded: a sweep of the entries no run can use any more.

Tag lists and tag digests are of no use once older than their time-to-live, and an image
repository whose tags are pushed and deleted all day (``main-1234``) leaves one digest entry per
tag it ever had. Build times per digest stay right for ever but stop being asked for once no
listed tag points at them. So, at most once per :data:`SWEEP_EVERY` (a stamp file in the cache
directory says when the last sweep began), the cache deletes:

* ``tags/`` and ``digests/`` entries written longer ago than the tag TTL;
* ``meta/`` entries not read for :data:`META_UNUSED` (a read moves the file's modification time
  forward when it is more than :data:`TOUCH_EVERY` old, so a warm run costs no extra write);
* temporary files left by a process killed while writing (older than :data:`SWEEP_EVERY`).

Only modification times are read (one ``stat`` per file, no file is opened). Processes sharing
the directory may sweep, read and write at once: every write is a rename into place, a reader
treats a vanished file as a miss, and deleting a file that is already gone is not an error.
"""

from __future__ import annotations

import logging
import math
import os
from pathlib import Path

log = logging.getLogger("automator.registry")

SWEEP_EVERY = 3600.0  # seconds between two sweeps of one cache directory
META_UNUSED = 30 * 86400.0  # a build time not read for this long is deleted (one request to read it again)
TOUCH_EVERY = 86400.0  # a read marks a build time as used at most this often
STAMP = "swept"  # in the cache's version directory: its modification time is the last sweep's start


def sweep_due(directory: Path, now: float) -> bool:
    """Whether ``directory`` (the cache's version directory) is due for a sweep; marks it swept
    when it is, so that parallel jobs sharing the directory do not all sweep it. One ``stat``
    when not due; False when the directory does not exist or the stamp cannot be written."""
    stamp = directory / STAMP
    try:
        if 0 <= now - stamp.stat().st_mtime < SWEEP_EVERY:
            return False
    except FileNotFoundError:
        if not directory.is_dir():
            return False  # nothing cached yet: nothing to sweep
    except OSError:
        return False
    try:
        stamp.touch()
        os.utime(stamp, (now, now))
    except OSError:  # a read-only cache: it cannot be swept either
        return False
    return True


def sweep(directory: Path, now: float, tag_ttl: float) -> int:
    """Delete what no run can use any more (see the module's description); the number deleted."""
    limits = {"tags": tag_ttl, "digests": tag_ttl, "meta": META_UNUSED}
    deleted = 0
    for kind, limit in limits.items():
        deleted += _sweep_kind(directory / kind, now, limit)
    if deleted:
        log.debug("registry cache: deleted %d unused entries in %s", deleted, directory)
    return deleted


def _sweep_kind(folder: Path, now: float, limit: float) -> int:
    deleted = 0
    try:
        entries = os.scandir(folder)
    except OSError:
        return 0
    with entries:
        for entry in entries:
            name = entry.name
            if name.startswith(".tmp-"):
                oldest = SWEEP_EVERY  # a writer renames its temporary file into place within seconds
            elif name.endswith(".json"):
                oldest = limit
            else:
                continue
            if math.isinf(oldest):
                continue
            try:
                if now - entry.stat(follow_symlinks=False).st_mtime > oldest:
                    os.unlink(entry.path)
                    deleted += 1
            except OSError:  # gone already (another sweep, or a reader that found it stale)
                continue
    return deleted


def touch_if_old(path: Path, mtime: float, now: float) -> None:
    """Mark a build-time entry as used, when its mark is more than :data:`TOUCH_EVERY` old."""
    if now - mtime > TOUCH_EVERY:
        try:
            os.utime(path, (now, now))
        except OSError:  # read-only or swept meanwhile: it is only a mark
            pass
