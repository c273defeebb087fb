"""Benchmark: start-up of short commands against the bare interpreter (goal 3).

Runs, interleaved, ``python -c pass``, ``automator --version`` and
``automator select semver:^1 1.0.0`` (the console script of the same environment) ``--repeat``
times per run, and reports the ratio of the medians of every run (wall and CPU time). The
package is byte-compiled first, as an installation leaves it.

    python3 benchmarks/bench_startup.py [--runs 5] [--repeat 15]

The environment is the one ``make install`` makes: an editable install, whose finder runs in
``site`` and so loads re, enum, pathlib and urllib.parse into every interpreter, the bare one
included. Run with a wheel's environment (``VENV/bin/python benchmarks/bench_startup.py``) the
baseline is about half as long, and pip's launcher script imports ``re`` itself before
``automator`` runs, so both ratios are higher there.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from goals import byte_compile, machine, report, spread  # noqa: E402

ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def console_script() -> list[str]:
    script = Path(sys.executable).with_name("automator")
    return [str(script)] if script.exists() else [sys.executable, "-m", "automator"]


def once(command: list[str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, env=ENV, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    byte_compile()
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "automator --version": [*console_script(), "--version"],
        "automator select semver:^1 1.0.0": [*console_script(), "select", "semver:^1", "1.0.0"],
    }
    print(machine())
    ratios: dict[str, list[float]] = {name: [] for name in commands}
    cpu_ratios: dict[str, list[float]] = {name: [] for name in commands}
    for run in range(args.runs):
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for _ in range(args.repeat):
            for name, command in commands.items():
                times[name].append(once(command))
        base_wall = statistics.median(w for w, _ in times["python -c pass"])
        base_cpu = statistics.median(c for _, c in times["python -c pass"])
        line = []
        for name in commands:
            wall = statistics.median(w for w, _ in times[name])
            cpu = statistics.median(c for _, c in times[name])
            ratios[name].append(wall / base_wall)
            cpu_ratios[name].append(cpu / base_cpu)
            line.append(f"{name} {wall * 1000:.1f} ms wall, {cpu * 1000:.1f} ms CPU")
        print(f"  run {run + 1}: " + "; ".join(line))
    for name in list(commands)[1:]:
        print(f"{name} / python -c pass, CPU time: {spread(cpu_ratios[name])}x")
    report("3a", ratios["automator --version"], 1.5)
    report("3b", ratios["automator select semver:^1 1.0.0"], 2)
    print(machine())


if __name__ == "__main__":
    main()
