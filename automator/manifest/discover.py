"""Find candidate manifest files under a root (the I/O edge of locating).

Files: ``*.yaml``, ``*.yml`` and files named ``Kustomization``/``kustomization``. ``.git`` is
skipped, symlinks are followed only while they stay inside the scanned root, each file is read
once, and a file without any locator marker is dropped right after reading.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

from automator.errors import ManifestError

P = TypeVar("P", str, Path)  # a path as given: read_each yields it back unchanged

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
    for path in walk_manifests(str(scan_path)):
        yield Path(path)


def walk_manifests(scan_path: str) -> list[str]:
    """The manifest files under the directory ``scan_path`` as sorted strings: one walk with
    :func:`os.scandir` (no per-file ``stat`` unless a name is a symlink)."""
    direct: list[str] = []
    linked: dict[str, str] = {}  # real path -> first path reaching it through a symlink
    for path, through_link in _walk(scan_path):
        if through_link:
            linked.setdefault(os.path.realpath(path), path)
        else:
            direct.append(path)
    if linked:  # a file reached directly and through a link is reported once, directly
        seen = {os.path.realpath(p) for p in direct}
        direct.extend(p for real, p in linked.items() if real not in seen)
    direct.sort()
    return direct


def _walk(scan_path: str) -> Iterator[tuple[str, bool]]:
    """(path, reached through a symlink) of manifest files; links must stay inside the root.

    Directories are walked top-down in the order the file system lists them, as
    :func:`os.walk` would; ``.git`` is skipped, unreadable directories are passed over."""
    root = os.path.realpath(scan_path)
    visited = {root}
    pending = [(scan_path, False)]
    while pending:
        dirpath, dir_linked = pending.pop()
        try:
            with os.scandir(dirpath) as listing:
                entries = list(listing)
        except OSError:
            continue
        subdirs = []
        for entry in entries:
            name = entry.name
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                if name in SKIP_DIRS:
                    continue
                if entry.is_symlink():
                    real = os.path.realpath(entry.path)
                    if not _within(real, root) or real in visited:
                        continue  # outside the root, or a link back into a directory already walked
                    visited.add(real)
                    subdirs.append((entry.path, True))
                else:
                    subdirs.append((entry.path, dir_linked))
                continue
            if not is_manifest_name(name):
                continue
            if entry.is_symlink():
                if _within(os.path.realpath(entry.path), root) and os.path.isfile(entry.path):
                    yield entry.path, True
            elif entry.is_file():
                yield entry.path, dir_linked
        pending.extend(reversed(subdirs))  # depth first, in listing order


def _within(real: str, root: str) -> bool:
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def read_bytes(path: Path | str) -> bytes:
    """A whole file's bytes with plain system calls (open, read until the end, close): no
    buffered file object, so no ``fstat``, ``ioctl`` or ``lseek`` per file."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        parts = []
        while True:
            part = os.read(fd, 1 << 20)
            if not part:
                break
            parts.append(part)
    finally:
        os.close(fd)
    return b"".join(parts)


def read_candidate(path: Path, markers: tuple[str, ...]) -> str | None:
    """The file's text when it contains a marker, else None (BOM and line endings kept).

    Read once as bytes and screened before decoding; a file that is not UTF-8 is an error only
    when it contains a marker.
    """
    try:
        data = read_bytes(path)
    except OSError as error:
        raise ManifestError(f"{path}: cannot read ({error.strerror})") from None
    return candidate_text(path, data, markers)


def candidate_text(path: Path | str, data: bytes, markers: tuple[str, ...]) -> str | None:
    """:func:`read_candidate` for bytes already read."""
    if not any(marker.encode() in data for marker in markers):
        wide = wide_encoding(data)
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


def wide_encoding(data: bytes) -> str | None:
    """The UTF-16/UTF-32 encoding a file's byte order mark announces, or None."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    return None


def read_text(path: Path) -> str:
    """Read a whole manifest as text (for patching) or raise ManifestError."""
    try:
        return read_bytes(path).decode("utf-8")
    except UnicodeDecodeError as error:
        raise ManifestError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    except OSError as error:
        raise ManifestError(f"{path}: cannot read ({error.strerror})") from None


_YAML_PATHSPECS = ("*.yaml", "*.yml", "*kustomization", "*Kustomization")


MAX_NAMED_PATHSPECS = 200  # more files than this are asked about by their suffixes


def uncommittable(root: Path, names: Sequence[str] | None = None, *, nested: bool = True) -> dict[str, str]:
    """Manifests under ``root`` that a commit would not carry: name relative to ``root`` ->
    why (ignored by git, marked skip-worktree / assume-unchanged, or in a submodule or another
    repository nested in the tree: :func:`in_nested_repositories`, unless ``nested`` is
    false). Empty outside git.
    ``names``: only these files (relative to ``root``) matter; git is asked about them alone.

    Tracked files are listed first: when every named file is tracked, none can be an ignored
    untracked file, and git is not asked about ignored files at all (one process, not two).
    The named files that are not tracked are then checked against the ignore rules whether
    they exist or not: a file the plan would create (an Argo CD override file) that git
    ignores could not be committed either."""
    found: dict[str, str] = {}
    specs = _YAML_PATHSPECS
    if names is not None and len(names) <= MAX_NAMED_PATHSPECS:
        specs = tuple(f":(literal){name}" for name in names)
    listed = _git_lines(root, "ls-files", "-z", "-v", "--", *specs)
    if listed is None:  # not a git work tree (or git is missing): nothing to say
        return found
    tracked: set[str] = set()
    for entry in listed:
        flag, _, name = entry.partition(" ")
        tracked.add(name)
        if flag == "S":
            found[name] = "marked skip-worktree in git"
        elif flag.islower():
            found[name] = "marked assume-unchanged in git"
    if names is not None and tracked.issuperset(names):
        return found
    if names is not None:
        untracked = [name for name in names if name not in tracked]
        inner = in_nested_repositories(root, untracked) if nested else {}
        found.update(inner)
        asked = "".join(f"{name}\0" for name in untracked if name not in inner).encode("utf-8", "surrogateescape")
        # exit status 1: none of them is ignored
        ignored = (_git_lines(root, "check-ignore", "-z", "--stdin", stdin=asked) or ()) if asked else ()
    else:
        ignored = _git_lines(root, "ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--", *specs) or ()
    for name in ignored:
        found[name] = "ignored by git (.gitignore)"
    return found


def in_nested_repositories(root: Path, names: Sequence[str]) -> dict[str, str]:
    """The ``names`` (relative to ``root``) that lie in another git repository inside it: a
    submodule, or a repository cloned into the tree. Git commits their files only in that
    repository (``git add`` refuses them here). Found by looking for a ``.git`` in the
    directories between ``root`` and each file, so git is asked nothing unless one is there;
    then one ``ls-files -s`` tells submodules (gitlinks, mode 160000) from other repositories."""
    repositories: dict[str, bool] = {}  # directory -> holds a .git of its own
    inside: dict[str, str] = {}
    for name in names:
        parts = name.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            directory = "/".join(parts[:depth])
            if directory not in repositories:
                repositories[directory] = os.path.lexists(os.path.join(root, directory, ".git"))
            if repositories[directory]:
                inside[name] = directory
                break
    if not inside:
        return {}
    directories = sorted(set(inside.values()))
    staged = _git_lines(root, "ls-files", "-z", "-s", "--", *(f":(literal){d}" for d in directories)) or ()
    gitlinks = {entry.partition("\t")[2] for entry in staged if entry.startswith("160000 ")}
    return {
        name: f"in submodule {directory}" if directory in gitlinks else f"in the nested git repository {directory}"
        for name, directory in inside.items()
    }


def _git_lines(root: Path, *args: str, stdin: bytes = b"") -> list[str] | None:
    """The NUL-separated lines git prints, or None when git fails (not a work tree, no git)."""
    import subprocess

    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args], input=stdin, capture_output=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
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


def check_scan_path(path: Path, root: Path, *, shown: str | None = None) -> Path:
    """PATH made absolute for scanning under ``root``; a :class:`UsageError` (exit 2) when it
    does not exist, resolves outside the repository, or holds no YAML manifest at all.
    ``shown``: how messages name PATH (in the tool's own clone: the path and the repository,
    not a temporary directory)."""
    from automator.errors import UsageError

    path = Path(path)
    name = shown or str(path)
    if not path.exists():
        raise UsageError(f"{name}: no such file or directory")
    real, top = Path(os.path.realpath(path)), Path(os.path.realpath(root))
    if real != top and top not in real.parents:
        where = f"to {real}, outside the repository {top}" if shown is None else "outside the repository"
        raise UsageError(f"{name}: resolves {where}; refused", hint="name a path inside the repository")
    if path.is_file() and not is_manifest_name(path.name):
        raise UsageError(f"{name}: not a YAML manifest (*.yaml, *.yml or kustomization)", hint="name a manifest or a directory of manifests")
    if path.is_dir() and next(_walk(str(path)), None) is None:  # stops at the first manifest
        raise UsageError(f"{name}: holds no YAML manifests (*.yaml, *.yml or kustomization)", hint="name the directory of your manifests")
    # scanned through the root's spelling, so every name is relative to it
    return top / real.relative_to(top) if real != top else top


def names_under(root: Path | str) -> Callable[[Path | str], str]:
    """A function giving each path's name relative to ``root`` in POSIX spelling (the path
    itself, in POSIX spelling, when it is outside); the prefix is worked out once for a pass
    over many paths."""
    base = os.fspath(root)
    prefix = base.rstrip(os.sep) + os.sep

    def name(path: Path | str) -> str:
        text = os.fspath(path)
        if text.startswith(prefix):
            return text[len(prefix) :].replace(os.sep, "/")
        try:
            return Path(text).relative_to(base).as_posix()
        except ValueError:
            return Path(text).as_posix()

    return name


def relative_name(path: Path | str, root: Path | str) -> str:
    """``path`` relative to ``root`` in POSIX spelling (``path`` itself when outside)."""
    return names_under(root)(path)


def read_each(paths: Iterable[P]) -> Iterator[tuple[P, bytes | OSError]]:
    """Each path with its bytes, or the error reading it (one unreadable file stops nothing)."""
    for path in paths:
        try:
            yield path, read_bytes(path)
        except OSError as error:
            yield path, error
