"""One local git command: a process of the git CLI, with no library in between.

The tool only ever drives the git CLI, so hooks, signing and the user's configuration apply as
they do to the user's own commands. A git library would add nothing to that but its import
time and commands of its own (GitPython runs ``git version`` twice before the first command).
Output is decoded as UTF-8, undecodable bytes kept as surrogates; git speaks English
(``LC_ALL=C``) so that its messages can be recognised.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from automator.errors import GitError
from automator.git.network import child_environment

ENGLISH = {"LANGUAGE": "C", "LC_ALL": "C"}


def text(data: bytes) -> str:
    """Git's output as text, without the one trailing newline git ends it with."""
    decoded = data.decode("utf-8", errors="surrogateescape")
    return decoded[:-1] if decoded.endswith("\n") else decoded


def run_command(args: Sequence[str], *, cwd: Path | None, env: Mapping[str, str] | None = None) -> tuple[int, str, str]:
    """Run ``git ARGS`` in ``cwd`` with ``env`` over the process's environment; return
    (status, stdout, stderr). Standard input is empty: nothing ever waits for a terminal."""
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, env=child_environment({**ENGLISH, **(env or {})}),
            stdin=subprocess.DEVNULL, capture_output=True,
        )
    except FileNotFoundError:
        if cwd is not None and not Path(cwd).is_dir():
            raise GitError(f"{cwd} does not exist") from None
        raise GitError("git is not installed (no `git` on PATH)", hint="install git 2.38 or newer") from None
    return done.returncode, text(done.stdout), text(done.stderr)


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
