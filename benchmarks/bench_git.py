"""Concurrent writers on one environment repository: do all updates land, and how fast?

For 8, 16 and 32 writers (processes of ``automator run``, each in its own clone, each updating
its own environment directory) started at once against one bare remote, print the share of
updates that landed (must be 100%), the median and p95 time from start to landed, pushes
retried per writer, and the ratio to a single writer's time measured in the same run.

    python3 benchmarks/bench_git.py [--writers 8 16 32]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMAGE = "registry.example/team/app"
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
  annotations:
    fluxcd.io/automated: "true"
    fluxcd.io/tag.app: semver:>=1.0.0
spec:
  template:
    spec:
      containers:
        - name: app
          image: {image}:1.0.0
"""


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def prepare(tmp: Path, writers: int) -> tuple[Path, list[Path]]:
    bare, seed = tmp / "remote.git", tmp / "seed"
    git(tmp, "init", "--quiet", "--bare", "-b", "main", str(bare))
    git(tmp, "init", "--quiet", "-b", "main", str(seed))
    for i in range(writers):
        path = seed / "envs" / f"env{i:02d}" / "app.yaml"
        path.parent.mkdir(parents=True)
        path.write_text(DEPLOYMENT.format(image=IMAGE))
    git(seed, "add", "-A")
    git(seed, "-c", "user.name=Bench", "-c", "user.email=bench@example.com", "commit", "--quiet", "-m", "Environments")
    git(seed, "push", "--quiet", str(bare), "main")
    clones = []
    for i in range(writers):
        clone = tmp / f"job{i:02d}"
        git(tmp, "clone", "--quiet", str(bare), str(clone))
        clones.append(clone)
    return bare, clones


def run_writers(tmp: Path, writers: int, tags: Path, env: dict[str, str]) -> dict:
    bare, clones = prepare(tmp, writers)
    started = time.monotonic()
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "automator", "run", f"envs/env{i:02d}", "--tags-from", str(tags), "--json", "-q"],
            cwd=clone, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for i, clone in enumerate(clones)
    ]
    durations, retries, failures = [], [], []
    pending = dict(enumerate(processes))
    outputs: dict[int, tuple[str, str]] = {}
    while pending:
        for i, process in list(pending.items()):
            if process.poll() is not None:
                durations.append(time.monotonic() - started)
                outputs[i] = process.communicate()
                del pending[i]
        time.sleep(0.005)
    for i, (out, err) in sorted(outputs.items()):
        if processes[i].returncode != 0:
            failures.append(err.strip()[-200:])
            continue
        retries.append(json.loads(out)["attempts"] - 1)
    landed = sum(f"{IMAGE}:1.1.0" in git(bare, "show", f"main:envs/env{i:02d}/app.yaml") for i in range(writers))
    merges = git(bare, "rev-list", "--merges", "main")
    return {"durations": sorted(durations), "retries": retries, "landed": landed, "failures": failures, "linear": not merges}


def p95(values: list[float]) -> float:
    return values[min(len(values) - 1, max(0, round(0.95 * len(values)) - 1))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--writers", type=int, nargs="+", default=[8, 16, 32])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-git-") as name:
        tmp = Path(name)
        (tmp / "gitconfig").write_text("")
        env = {**os.environ, "PYTHONPATH": str(ROOT), "GIT_CONFIG_GLOBAL": str(tmp / "gitconfig"), "GIT_CONFIG_NOSYSTEM": "1"}
        tags = tmp / "tags.json"
        tags.write_text(json.dumps({IMAGE: ["1.0.0", "1.1.0"]}))
        (tmp / "baseline").mkdir()
        baseline = run_writers(tmp / "baseline", 1, tags, env)["durations"][0]
        print(f"cores: {os.cpu_count()}   baseline (1 writer, start -> landed): {baseline:.2f} s\n")
        print(f"{'writers':>7}  {'landed':>8}  {'median s':>8}  {'p95 s':>6}  {'p95/base':>8}  {'retries/writer (mean, max)':>26}  linear")
        ok = True
        for writers in args.writers:
            work = tmp / f"w{writers}"
            work.mkdir()
            result = run_writers(work, writers, tags, env)
            durations, retries = result["durations"], result["retries"] or [0]
            share = 100.0 * result["landed"] / writers
            ok = ok and share == 100.0 and result["linear"]
            print(
                f"{writers:>7}  {share:>7.1f}%  {statistics.median(durations):>8.2f}  {p95(durations):>6.2f}  "
                f"{p95(durations) / baseline:>7.1f}x  {statistics.mean(retries):>17.2f}, {max(retries):>6}  "
                f"{'yes' if result['linear'] else 'NO'}"
            )
            for failure in result["failures"]:
                print(f"         failed writer: {failure}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
