"""One line per goal of the performance issue, the same shape in every benchmark.

A benchmark that measures a goal calls :func:`report` with the ratio of each run (against a
baseline measured in the same run); ``make bench`` (``run_all.py``) collects the lines that
start with ``goal`` and prints them together at the end, with the goals nobody measured.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

GOALS = {
    "1a": "update / scan of one 16 MB multi-document file (CPU)",
    "1b": "update / scan of one 49 MB multi-document file (CPU)",
    "2": "update CPU / str.replace floor on 5,000 manifests (output byte-identical)",
    "3a": "automator --version / python -c pass (wall)",
    "3b": "automator select semver:^1 1.0.0 / python -c pass (wall)",
    "4": "token requests for 50 repositories of one registry",
    "5": "warm CI: tag-list requests of a second run within the TTL (install step on a cache hit: timed in CI)",
    "6": "metadata reads of a cold build-time run per registry / --max-metadata",
}
# where a goal that ``make bench`` does not run is measured
NOT_RUN = {"1b": "run bench_patch.py --huge (minutes on 2 cores); the last figure is in benchmarks/README.md"}


def spread(values: Sequence[float]) -> str:
    """``median (min .. max over N runs)``."""
    return f"{statistics.median(values):.2f} (min {min(values):.2f}, max {max(values):.2f}, {len(values)} runs)"


def report(goal: str, values: Sequence[float], limit: float, unit: str = "x", note: str = "") -> str:
    """Print and return the goal line: median/min/max of ``values`` against ``<= limit``."""
    met = "met" if statistics.median(values) <= limit else "NOT met"
    line = f"goal {goal}: {GOALS[goal]}: {spread(values)}{unit} -- goal <= {limit:g}{unit}: {met}"
    if note:
        line += f" [{note}]"
    print(line, flush=True)
    return line


def machine() -> str:
    """Cores and load average, to print next to figures measured on a shared machine."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    one, five, _ = os.getloadavg()
    return f"{cores} cores, load average {one:.1f} (1 min) {five:.1f} (5 min)"


def file_system(path: Path) -> str:
    """``PATH (TYPE)``: the type of the file system holding ``path``, from /proc/mounts; for
    ext4, whether it has a journal (one without skips recently freed inodes when it allocates,
    which makes creating files slow right after many were deleted)."""
    best, kind, device = "", "unknown", ""
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        mounts = []
    real = os.path.realpath(path)
    for line in mounts:
        fields = line.split()
        if len(fields) > 2 and (real == fields[1] or real.startswith(fields[1].rstrip("/") + "/")) and len(fields[1]) > len(best):
            best, kind, device = fields[1], fields[2], fields[0]
    if kind == "ext4":
        try:
            options = Path("/proc/fs/ext4", os.path.basename(device), "options").read_text().split()
        except OSError:
            options = None
        if options is not None:
            kind += " with a journal" if any(o.startswith("data=") for o in options) else " without a journal"
    return f"{path} ({kind})"


def byte_compile() -> None:
    """Byte-compile the package, as an installation leaves it: with PYTHONDONTWRITEBYTECODE
    set and no fresh cache, every process a benchmark starts would compile each module it
    imports, a fixed cost no installed tool pays and one that hides the differences measured."""
    package = Path(__file__).resolve().parent.parent / "automator"
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True, stdout=subprocess.DEVNULL)
