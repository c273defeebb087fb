"""Benchmark: patching against its floors (goals 1 and 2 of the performance issue).

Goal 2 -- 5,000 generated manifests (about 20 MB, a fifth automated): CPU time of
``automator update --tags-from`` (process start and worker processes included) against the
floor measured in the same run: a Python process that reads every file and ``str.replace``s
the values the update changes (taken from ``automator scan --json``) and writes the files that
changed. Both outputs must be byte-identical, or the benchmark fails. A third process measures
what the kernel charges for creating a new file beside each changed one and renaming it over
it (the update replaces files atomically; the floor writes in place), which depends on the
state of the filesystem more than on the tool.

Goal 1 -- one multi-document file of the same manifests, 16 MB (and 49 MB with ``--huge``):
CPU time of ``update`` against ``scan`` of that file, each in its own process.

Each is run ``--runs`` times (5) on fresh copies; the ratio of every run is reported as median
(min, max).

    python3 benchmarks/bench_patch.py [--files 5000] [--runs 5] [--huge] [--skip-floor | --floor-only]
                                      [--work-dir DIR]

--work-dir DIR puts the corpus and its copies on DIR's file system (default: the system
temporary directory); the first line printed names it and its type.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from bench_manifest import generate, generate_single, write_tags  # noqa: E402
from goals import byte_compile, file_system, machine, report, spread  # noqa: E402

FLOOR = """
import json, os, sys
root, plan = sys.argv[1], sys.argv[2]
with open(plan, encoding="utf-8") as handle:
    changes = {}
    for update in json.load(handle)["updates"]:
        changes.setdefault(os.path.join(root, update["file"]), []).append(
            (update["image"] + ":" + update["from"], update["image"] + ":" + update["to"]))
for folder, dirs, files in os.walk(root):
    for name in files:
        if not name.endswith((".yaml", ".yml")):
            continue
        path = os.path.join(folder, name)
        with open(path, encoding="utf-8", newline="") as handle:
            text = handle.read()
        new = text
        for old, to in changes.get(path, ()):
            new = new.replace(old, to)
        if new != text:
            with open(path, "w", encoding="utf-8", newline="") as handle:
                handle.write(new)
"""

# What replacing each changed file atomically costs the kernel, apart from any content: a new
# file beside it, renamed over it (as the update does). The floor writes in place and never
# pays this; on a filesystem with many recently freed inodes (ext4 without a journal skips
# them when it allocates) it costs from a few to several hundred microseconds a file.
CREATION = """
import json, os, resource, sys
root, plan = sys.argv[1], sys.argv[2]
with open(plan, encoding="utf-8") as handle:
    files = sorted({os.path.join(root, update["file"]) for update in json.load(handle)["updates"]})
before = resource.getrusage(resource.RUSAGE_SELF)
for path in files:
    temp = os.path.join(os.path.dirname(path), "." + os.path.basename(path) + ".tmp")
    os.close(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    os.replace(temp, path)
after = resource.getrusage(resource.RUSAGE_SELF)
print(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
"""


def automator(*args: str) -> list[str]:
    return [sys.executable, "-m", "automator", *args]


def timed(command: list[str], **kwargs) -> tuple[float, float, subprocess.CompletedProcess]:
    """Run a command; return its wall time, its CPU time (children included) and the result."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, **kwargs)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode not in (0,):
        raise SystemExit(f"{' '.join(command[:4])} ... failed ({result.returncode}): {result.stderr[-2000:]}")
    return wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime), result


def same_trees(a: Path, b: Path) -> bool:
    for path in a.rglob("*"):
        if path.is_file() and not filecmp.cmp(path, b / path.relative_to(a), shallow=False):
            print(f"  differs: {path.relative_to(a)}")
            return False
    return True


def floor_goal(work: Path, files: int, runs: int) -> None:
    pristine, tags = work / "repo", work / "tags.yaml"
    size = generate(pristine, files)
    write_tags(tags, files)
    plan = work / "plan.json"
    _, _, scanned = timed(automator("scan", str(pristine), "--tags-from", str(tags), "--json"))
    plan.write_text(scanned.stdout)
    count = len(json.loads(scanned.stdout)["updates"])
    ratios, walls, creations, without = [], [], [], []
    for run in range(runs):
        ours, floor, created = work / f"ours-{run}", work / f"floor-{run}", work / f"created-{run}"
        for copy in (ours, floor, created):
            shutil.copytree(pristine, copy)
        wall, cpu, _ = timed(automator("update", str(ours), "--tags-from", str(tags), "-q"))
        floor_wall, floor_cpu, _ = timed([sys.executable, "-c", FLOOR, str(floor), str(plan)])
        if not same_trees(ours, floor):
            raise SystemExit("update and the str.replace floor wrote different bytes")
        _, _, done = timed([sys.executable, "-c", CREATION, str(created), str(plan)])
        creation = float(done.stdout)
        ratios.append(cpu / floor_cpu)
        walls.append(wall / floor_wall)
        creations.append(creation)
        without.append((cpu - creation) / floor_cpu)
        print(f"  run {run + 1}: update {cpu:.2f} s CPU ({wall:.2f} s wall), floor {floor_cpu:.2f} s CPU ({floor_wall:.2f} s wall); "
              f"creating and renaming one new file per changed file alone: {creation:.2f} s CPU")
        # the copies stay until the end: deleting thousands of files just before the next
        # run would make its file creations slow (ext4 skips recently freed inodes)
    print(f"{files} manifests, {size / 1e6:.1f} MB, {count} values updated; outputs byte-identical in every run")
    print(f"wall-time ratio update / floor: {spread(walls)}x")
    print(f"the kernel's cost of a new file per changed file (atomic replacement; the floor writes in place): "
          f"{spread(creations)} s CPU; update CPU without it / floor: {spread(without)}x")
    report("2", ratios, 6)


def huge_goal(work: Path, megabytes: int, goal: str, runs: int) -> None:
    folder, tags = work / f"huge-{megabytes}", work / f"tags-{megabytes}.yaml"
    count = generate_single(folder / "all.yaml", megabytes * 1_000_000)
    write_tags(tags, count)
    ratios = []
    for run in range(runs):
        copy = work / f"copy-{megabytes}-{run}"
        shutil.copytree(folder, copy)
        scan_wall, scan_cpu, _ = timed(automator("scan", str(copy), "--tags-from", str(tags), "--json"))
        wall, cpu, result = timed(automator("update", str(copy), "--tags-from", str(tags)))
        changed = sum(line.startswith("all.yaml") for line in result.stdout.splitlines())
        ratios.append(cpu / scan_cpu)
        print(
            f"  run {run + 1}: {megabytes} MB, {count // 5 * 2} images, {changed} updated: "
            f"update {cpu:.2f} s CPU ({wall:.2f} s wall), scan {scan_cpu:.2f} s CPU ({scan_wall:.2f} s wall)"
        )
        shutil.rmtree(copy)
    report(goal, ratios, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--huge", action="store_true", help="also the 49 MB file (minutes on 2 cores)")
    parser.add_argument("--skip-floor", action="store_true", help="only the multi-document files")
    parser.add_argument("--floor-only", action="store_true", help="only goal 2 (5,000 manifests against the floor)")
    parser.add_argument("--work-dir", type=Path, default=None, help="where the corpus goes (default: the system temp dir)")
    args = parser.parse_args()
    print(machine())
    print(f"work dir: {file_system(args.work_dir or Path(tempfile.gettempdir()))}")
    byte_compile()
    with tempfile.TemporaryDirectory(prefix="bench-patch-", dir=args.work_dir) as tmp:
        work = Path(tmp)
        if not args.skip_floor:
            floor_goal(work, args.files, args.runs)
        if args.floor_only:
            print(machine())
            return
        huge_goal(work, 16, "1a", args.runs)
        if args.huge:
            huge_goal(work, 49, "1b", args.runs)
    print(machine())


if __name__ == "__main__":
    main()
