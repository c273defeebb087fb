"""One walk and one read of a tree's manifests, shared by the passes of a plan (the I/O edge).

Planning has three passes over the same files: the Flux v2 catalog (ImagePolicy and
ImageRepository objects), the Argo CD Applications, and locating the automated fields. Each
used to walk the tree and read every file again. :class:`TreeFiles` walks once
(:func:`automator.manifest.discover.walk_manifests`), reads every file once as bytes, and keeps
only the bytes of files that hold one of the passes' screens (annotation keys, markers, API
groups) or start with a UTF-16/UTF-32 byte order mark, up to :data:`MAX_KEPT_BYTES` (past it, a
screened file is read again when a pass asks for it); every other file is remembered as read
and screened out. A pass asks for the kept files, or for one file by path: a file screened out
is answered without reading it again when the pass's own markers are all among the screens.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property

from automator.manifest.discover import read_bytes, read_each, walk_manifests, wide_encoding

NOT_WALKED = object()  # a path the walk did not list (read it from disk)
MAX_KEPT_BYTES = 64 * 1024 * 1024  # beyond this, screened files are read again when a pass asks


@dataclass
class TreeFiles:
    """The manifest files under ``root`` (sorted paths) and the bytes of the screened ones."""

    root: str
    screens: frozenset[str]
    paths: list[str] = field(default_factory=list)
    kept: dict[str, bytes | OSError] = field(default_factory=dict)  # path -> bytes, or why unreadable
    unkept: set[str] = field(default_factory=set)  # screened in, but past MAX_KEPT_BYTES: read again

    @classmethod
    def read(cls, root: str | os.PathLike, screens: Iterable[str]) -> TreeFiles:
        """Walk ``root`` once and read each manifest once, keeping the screened ones."""
        screens = frozenset(screens)
        files = cls(os.fspath(root), screens, walk_manifests(os.fspath(root)))
        wanted = tuple(screen.encode() for screen in sorted(screens))
        kept, budget = files.kept, MAX_KEPT_BYTES
        for path in files.paths:
            try:
                data = read_bytes(path)
            except OSError as error:
                kept[path] = error
                continue
            for screen in wanted:
                if screen in data:
                    break
            else:
                if wide_encoding(data) is None:
                    continue
            if len(data) <= budget:  # memory stays bounded however large the tree
                kept[path] = data
                budget -= len(data)
            else:
                files.unkept.add(path)
        return files

    @property
    def reads(self) -> int:
        """Files read from disk by the walk (each once)."""
        return len(self.paths)

    def items(self) -> Iterator[tuple[str, bytes | OSError]]:
        """``(path, bytes or the read error)`` of the screened files, in path order (those past
        the memory bound are read again here)."""
        kept, unkept = self.kept, self.unkept
        for path in self.paths:
            if path in kept:
                yield path, kept[path]
            elif path in unkept:
                yield from read_each((path,))

    def lookup(self, path: str, markers: Iterable[str]) -> bytes | OSError | None | object:
        """The kept bytes of ``path`` (or its read error); None when it was read and holds none of
        ``markers``; :data:`NOT_WALKED` when the walk did not list it or it was screened out for
        other screens than ``markers`` (then the caller reads it)."""
        found = self.kept.get(path)
        if found is not None:
            return found
        if path not in self.unkept and self.screens.issuperset(markers) and path in self.listed:
            return None
        return NOT_WALKED

    def screened_out(self, markers: Iterable[str]) -> frozenset[str]:
        """The paths read and dropped that cannot hold any of ``markers`` (none when some
        marker is not among the screens: then nothing is known of the dropped files)."""
        if not self.screens.issuperset(markers):
            return frozenset()
        return self.listed.difference(self.kept, self.unkept)

    @cached_property
    def listed(self) -> frozenset[str]:
        """The walked paths as a set (for lookups)."""
        return frozenset(self.paths)
