"""Run every benchmarks/bench_*.py in turn (``make bench``); each prints its own figures.

At the end, the goal lines (``goal N: ...``, see ``goals.py``) of all benchmarks are printed
together, with the goals that no benchmark measured.

``bench_patch.py`` runs first. Its goal compares the update, which replaces each changed file
through a new file beside it, with a floor that writes in place; the other benchmarks create
and delete tens of thousands of files, and an ext4 without a journal makes every file
created in the following minutes skip the inodes freed by them (the benchmark prints that
cost on its own line). Run after them, it measured their deletions as much as the update.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from goals import GOALS, NOT_RUN, machine  # noqa: E402

FIRST = ("bench_patch.py",)  # before the benchmarks that delete thousands of files (see above)


def main() -> int:
    failed = 0
    lines: list[str] = []
    for script in sorted(HERE.glob("bench_*.py"), key=lambda path: (path.name not in FIRST, path.name)):
        print(f"== {script.name}", flush=True)
        proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        for line in proc.stdout:
            print(line, end="", flush=True)
            if line.startswith("goal "):
                lines.append(line.rstrip("\n"))
        failed += proc.wait() != 0
    print(f"== goals of the performance issue ({machine()})")
    measured = {line.split(":", 1)[0].split()[1] for line in lines}
    for line in sorted(lines):
        print(line)
    for goal, what in GOALS.items():
        if goal not in measured:
            print(f"goal {goal}: {what}: {NOT_RUN.get(goal, 'not measured by any benchmark')}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
