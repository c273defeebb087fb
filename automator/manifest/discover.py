"""Find candidate manifest files under a root (the I/O edge of locating).

Files: ``*.yaml``, ``*.yml`` and files named ``Kustomization``/``kustomization``. ``.git`` is
skipped, symlinks are followed only while they stay inside the scanned root, each file is read
once, and a file without any locator marker is dropped right after reading.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from automator.errors import ManifestError

NAMES = frozenset({"Kustomization", "kustomization"})
SUFFIXES = (".yaml", ".yml")
SKIP_DIRS = frozenset({".git"})


def is_manifest_name(name: str) -> bool:
    return name in NAMES or name.endswith(SUFFIXES)


def manifest_paths(scan_path: Path) -> Iterator[Path]:
    """Manifest files under ``scan_path`` (or the file itself), sorted, symlinks kept inside."""
    scan_path = Path(scan_path)
    if not scan_path.exists():
        raise ManifestError(f"{scan_path}: no such file or directory")
    if scan_path.is_file():
        yield scan_path
        return
    chosen: dict[Path, Path] = {}  # real file -> the path reporting it (a direct path wins)
    for path in _walk(scan_path):
        real = path.resolve()
        if real not in chosen or (chosen[real].resolve() != chosen[real].absolute() and real == path.absolute()):
            chosen[real] = path
    yield from sorted(chosen.values())


def _walk(scan_path: Path) -> Iterator[Path]:
    root = scan_path.resolve()
    visited = {root}
    for dirpath, dirnames, filenames in os.walk(scan_path, followlinks=True):
        here = Path(dirpath)
        keep = []
        for name in sorted(dirnames):
            child = here / name
            if name in SKIP_DIRS or not _inside(child, root):
                continue
            real = child.resolve() if child.is_symlink() else None
            if real is not None and real in visited:
                continue  # a link back into a directory already walked
            if real is not None:
                visited.add(real)
            keep.append(name)
        dirnames[:] = keep
        for name in sorted(filenames):
            path = here / name
            if is_manifest_name(name) and _inside(path, root) and path.is_file():
                yield path


def _inside(path: Path, root: Path) -> bool:
    if not path.is_symlink():
        return True
    try:
        return path.resolve().is_relative_to(root)
    except OSError:
        return False


def read_candidate(path: Path, markers: tuple[str, ...]) -> str | None:
    """The file's text when it contains a marker, else None (BOM and line endings kept).

    Read once as bytes and screened before decoding; a file that is not UTF-8 is an error only
    when it contains a marker.
    """
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as error:
        raise ManifestError(f"{path}: cannot read ({error.strerror})") from None
    if not any(marker.encode() in data for marker in markers):
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ManifestError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None


def read_text(path: Path) -> str:
    """Read a whole manifest as text (for patching) or raise ManifestError."""
    try:
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8")
    except UnicodeDecodeError as error:
        raise ManifestError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    except OSError as error:
        raise ManifestError(f"{path}: cannot read ({error.strerror})") from None
