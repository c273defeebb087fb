"""The ``automator`` command's entry point: ``--version`` answers before anything is loaded.

Everything else goes to :func:`automator.cli.main`, which loads only the command being run.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args == ["--version"]:
        from automator import __version__

        print(f"automator {__version__}")
        return 0
    from automator.cli import main as run_command

    return run_command(args)
