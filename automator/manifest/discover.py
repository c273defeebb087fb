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
    direct: list[str] = []
    linked: dict[str, str] = {}  # real path -> first path reaching it through a symlink
    for path, through_link in _walk(str(scan_path)):
        if through_link:
            linked.setdefault(os.path.realpath(path), path)
        else:
            direct.append(path)
    if linked:  # a file reached directly and through a link is reported once, directly
        seen = {os.path.realpath(p) for p in direct}
        direct.extend(p for real, p in linked.items() if real not in seen)
    for path in sorted(direct):
        yield Path(path)


def _walk(scan_path: str) -> Iterator[tuple[str, bool]]:
    """(path, reached through a symlink) of manifest files; links must stay inside the root."""
    root = os.path.realpath(scan_path)
    visited = {root}
    linked_dirs: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(scan_path, followlinks=True):
        dir_linked = dirpath in linked_dirs
        keep = []
        for name in dirnames:
            child = os.path.join(dirpath, name)
            if name in SKIP_DIRS:
                continue
            if os.path.islink(child):
                real = os.path.realpath(child)
                if not _within(real, root) or real in visited:
                    continue  # outside the root, or a link back into a directory already walked
                visited.add(real)
                linked_dirs.add(child)
            elif dir_linked:
                linked_dirs.add(child)
            keep.append(name)
        dirnames[:] = keep
        for name in filenames:
            if not is_manifest_name(name):
                continue
            path = os.path.join(dirpath, name)
            if os.path.islink(path):
                if _within(os.path.realpath(path), root) and os.path.isfile(path):
                    yield path, True
            elif os.path.isfile(path):
                yield path, dir_linked


def _within(real: str, root: str) -> bool:
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


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
        wide = _wide_encoding(data)
        if wide is not None and any(marker in data.decode(wide, errors="replace") for marker in markers):
            raise ManifestError(
                f"{path}: not UTF-8 text but {wide.upper()} (it starts with a byte order mark), so its "
                "automation is not read",
                hint="save it as UTF-8: Kubernetes, Flux and kustomize read only UTF-8",
            )
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ManifestError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None


# byte order marks of the encodings YAML allows besides UTF-8 (UTF-32 first: it extends UTF-16's)
_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


def _wide_encoding(data: bytes) -> str | None:
    """The UTF-16/UTF-32 encoding a file's byte order mark announces, or None."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    return None


def read_text(path: Path) -> str:
    """Read a whole manifest as text (for patching) or raise ManifestError."""
    try:
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8")
    except UnicodeDecodeError as error:
        raise ManifestError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    except OSError as error:
        raise ManifestError(f"{path}: cannot read ({error.strerror})") from None


_YAML_PATHSPECS = ("*.yaml", "*.yml", "*kustomization", "*Kustomization")


def uncommittable(root: Path) -> dict[str, str]:
    """Manifests under ``root`` that a commit would not carry: name relative to ``root`` ->
    why (ignored by git, or marked skip-worktree / assume-unchanged). Empty outside git."""
    found: dict[str, str] = {}
    ignored = _git_lines(root, "ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--", *_YAML_PATHSPECS)
    for name in ignored:
        found[name] = "ignored by git (.gitignore)"
    for entry in _git_lines(root, "ls-files", "-z", "-v", "--", *_YAML_PATHSPECS):
        flag, _, name = entry.partition(" ")
        if flag == "S":
            found[name] = "marked skip-worktree in git"
        elif flag.islower():
            found[name] = "marked assume-unchanged in git"
    return found


def _git_lines(root: Path, *args: str) -> list[str]:
    import subprocess

    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return []
    if done.returncode != 0:
        return []
    return [p for p in done.stdout.decode("utf-8", "surrogateescape").split("\0") if p]


def scan_root(path: Path) -> Path:
    """The directory report names are relative to: the repository root (the nearest directory
    at or above PATH holding ``.git``), or PATH itself (its directory for a file) outside git."""
    lexical = Path(os.path.abspath(path))
    start = lexical if lexical.is_dir() and not lexical.is_symlink() else lexical.parent
    for candidate in (start, *start.parents):
        if (candidate / ".git").exists():
            return candidate
    return lexical if lexical.is_dir() else lexical.parent


def check_scan_path(path: Path, root: Path) -> Path:
    """PATH made absolute for scanning under ``root``; a :class:`UsageError` (exit 2) when it
    does not exist, resolves outside the repository, or holds no YAML manifest at all."""
    from automator.errors import UsageError

    path = Path(path)
    if not path.exists():
        raise UsageError(f"{path}: no such file or directory")
    real, top = Path(os.path.realpath(path)), Path(os.path.realpath(root))
    if real != top and top not in real.parents:
        raise UsageError(
            f"{path}: resolves to {real}, outside the repository {top}; refused",
            hint="name a path inside the repository",
        )
    if path.is_file() and not is_manifest_name(path.name):
        raise UsageError(f"{path}: not a YAML manifest (*.yaml, *.yml or kustomization)", hint="name a manifest or a directory of manifests")
    if path.is_dir() and next(manifest_paths(path), None) is None:
        raise UsageError(f"{path}: holds no YAML manifests (*.yaml, *.yml or kustomization)", hint="name the directory of your manifests")
    # scanned through the root's spelling, so every name is relative to it
    return top / real.relative_to(top) if real != top else top
