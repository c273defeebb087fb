"""Git's automatic maintenance, once at the end of a run instead of after each command.

``git fetch``, ``git commit`` and ``git merge`` each start ``git maintenance run --auto``
when they finish, which (by default) runs ``git gc --auto`` once the repository has more than
``gc.auto`` (6700) loose objects or ``gc.autoPackLimit`` (50) packs. A run would start it
twice, between its fetch and its push, for a repository that almost never needs it.

So a run's own fetch, commit and merge are given ``-c maintenance.auto=false``, and at the end
of the run, when git's own thresholds say a repository needs it (the same estimate git makes:
the loose objects in ``objects/17`` times 256, and the packs not marked ``.keep``), the run
starts ``git maintenance run --auto`` once. A repository whose owner configured maintenance
(``maintenance.strategy``, ``maintenance.<task>.*``) gets that call at the end of every run
that deferred it; one with ``maintenance.auto=false`` or ``gc.auto=0`` gets none, as before.
The tool's own temporary clones get none at all: they are deleted after the run.
"""

from __future__ import annotations

import os
from pathlib import Path

from automator.git.config import GitConfig

DEFER = ("-c", "maintenance.auto=false")
GC_AUTO = 6700
GC_AUTO_PACK_LIMIT = 50


def objects_dir(git_dir: Path) -> Path:
    """The object store of a checkout (a linked worktree's is in the common directory)."""
    try:
        common = (git_dir / "commondir").read_text().strip()
    except OSError:
        return git_dir / "objects"
    return (git_dir / common).resolve() / "objects"


def loose_objects_in_17(objects: Path, object_format: str) -> int:
    hex_length = (64 if object_format == "sha256" else 40) - 2
    try:
        names = os.listdir(objects / "17")
    except OSError:
        return 0
    return sum(1 for name in names if len(name) == hex_length and all(c in "0123456789abcdef" for c in name))


def packs_without_keep(objects: Path) -> int:
    pack_dir = objects / "pack"
    try:
        names = set(os.listdir(pack_dir))
    except OSError:
        return 0
    return sum(1 for name in names if name.endswith(".pack") and name[:-5] + ".keep" not in names)


def maintenance_due(git_dir: Path, config: GitConfig, object_format: str = "sha1") -> bool:
    """Whether ``git maintenance run --auto`` could do anything in this repository now
    (never False where git would act; it decides the details itself)."""
    if config.get_bool("maintenance.auto") is False:
        return False
    if any(key.startswith("maintenance.") and key != "maintenance.auto" for key in config.values):
        return True  # the owner chose tasks or a strategy: let git judge them
    objects = objects_dir(git_dir)
    gc_auto = config.get_int("gc.auto", GC_AUTO)
    if gc_auto > 0 and loose_objects_in_17(objects, object_format) > -(-gc_auto // 256):
        return True
    pack_limit = config.get_int("gc.autopacklimit", GC_AUTO_PACK_LIMIT)
    return gc_auto > 0 and pack_limit > 0 and packs_without_keep(objects) > pack_limit
