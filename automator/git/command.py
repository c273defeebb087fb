"""One local git command: a process of the git CLI, with no library in between.

The tool only ever drives the git CLI, so hooks, signing and the user's configuration apply as
they do to the user's own commands. A git library would add nothing to that but its import
time and commands of its own (GitPython runs ``git version`` twice before the first command).
Output is decoded as UTF-8, undecodable bytes kept as surrogates; git speaks English
(``LC_ALL=C``) so that its messages can be recognised.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from automator.errors import GitError
from automator.git.network import child_environment

ENGLISH = {"LANGUAGE": "C", "LC_ALL": "C"}


def text(data: bytes) -> str:
    """Git's output as text, without the one trailing newline git ends it with."""
    decoded = data.decode("utf-8", errors="surrogateescape")
    return decoded[:-1] if decoded.endswith("\n") else decoded


# Bytes of paths given to one git process on its command line: far below the kernel's limits
# (ARG_MAX for all arguments, MAX_ARG_STRLEN of 128 KiB for one), whatever the environment holds.
ARGV_BUDGET = 32 * 1024


def run_command(
    args: Sequence[str], *, cwd: Path | None, env: Mapping[str, str] | None = None, stdin: bytes | None = None
) -> tuple[int, str, str]:
    """Run ``git ARGS`` in ``cwd`` with ``env`` over the process's environment; return
    (status, stdout, stderr). Standard input is ``stdin`` (a pathspec list, say), else empty:
    nothing ever waits for a terminal."""
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, env=child_environment({**ENGLISH, **(env or {})}),
            input=stdin, stdin=subprocess.DEVNULL if stdin is None else None, capture_output=True,
        )
    except FileNotFoundError:
        if cwd is not None and not Path(cwd).is_dir():
            raise GitError(f"{cwd} does not exist") from None
        raise GitError("git is not installed (no `git` on PATH)", hint="install git 2.38 or newer") from None
    return done.returncode, text(done.stdout), text(done.stderr)


def chunked(paths: Sequence[str], budget: int = ARGV_BUDGET) -> Iterator[list[str]]:
    """``paths`` in runs whose arguments take at most ``budget`` bytes (one path at least), for
    a command that may be given its paths in several processes (``git add``, ``git checkout``)."""
    chunk: list[str] = []
    size = 0
    for path in paths:
        length = len(path.encode("utf-8", errors="surrogateescape")) + 1
        if chunk and size + length > budget:
            yield chunk
            chunk, size = [], 0
        chunk.append(path)
        size += length
    if chunk:
        yield chunk


def literal(path: str) -> str:
    """``path`` as a pathspec that matches that one path (no glob, no magic of its own)."""
    return f":(literal){path}"


def pathspec_input(paths: Sequence[str]) -> bytes:
    """``paths`` as literal pathspecs for ``--pathspec-from-file=- --pathspec-file-nul``: a
    command that must see every path in one process (``git commit --only``) reads them on
    standard input, so no list is too long for it."""
    return b"".join(literal(path).encode("utf-8", errors="surrogateescape") + b"\0" for path in paths)


def verb(args: Sequence[str]) -> str:
    """The git command of ``args``, past global options (``-c K=V``, ``-C DIR``, ``--no-pager``)."""
    index = 0
    while index < len(args):
        arg = args[index]
        if arg in ("-c", "-C"):
            index += 2
        elif arg.startswith("-"):
            index += 1
        else:
            return arg
    return ""
