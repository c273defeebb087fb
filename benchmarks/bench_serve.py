"""Webhook receiver benchmark: a burst of push events through `automator serve` to commits.

    python3 benchmarks/bench_serve.py [--events 200] [--repos 20] [--seconds 10] [--debounce 2]

`automator serve` runs on 127.0.0.1 for a checkout of a bare remote whose manifests use
--repos image repositories (semver, so runs read no registry). --events generic push events,
each a newer tag of a random repository, are sent over --seconds. The remote is polled every
20 ms; for each event the time until a commit on the remote holds that tag (or a newer one)
is its event-to-commit latency. The baseline measured in the same run is one run's duration
(`automator run --pushed` for a single image on the same tree).
Goals: runs <= 10 (coalesced); 0 lost updates (the final tree holds the newest tag of every
repository); p95 event-to-commit <= debounce + one run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
DEAD = "127.0.0.1:9"
TOKEN = "bench-token"
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "AUTOMATOR_WEBHOOK_TOKEN": TOKEN,
       "GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
       "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@example.com"}


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, env=ENV, check=True, capture_output=True, text=True).stdout.strip()


def manifest(index: int) -> str:
    return (f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{index}\n  annotations:\n"
            "    automator.dev/policy: semver:^1\nspec:\n  template:\n    spec:\n      containers:\n"
            f"        - name: app\n          image: {DEAD}/bench/app-{index}:1.0.0\n")


def make_checkout(tmp: Path, repos: int) -> tuple[Path, Path]:
    seed = tmp / "seed"
    seed.mkdir()
    git(seed, "init", "-q", "-b", "main")
    (seed / "apps").mkdir()
    for i in range(repos):
        (seed / "apps" / f"app-{i}.yaml").write_text(manifest(i))
    git(seed, "add", "-A")
    git(seed, "commit", "-qm", "seed")
    bare = tmp / "remote.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(seed), str(bare)], check=True)
    work = tmp / "work"
    subprocess.run(["git", "clone", "-q", str(bare), str(work)], check=True)
    return bare, work


def tags_at(bare: Path, commit: str) -> dict[int, int]:
    """Per repository index, the patch number of its tag at ``commit``."""
    text = git(bare, "grep", "-h", "image:", commit, "--", "apps")
    return {int(m.group(1)): int(m.group(2)) for m in re.finditer(r"/bench/app-(\d+):1\.0\.(\d+)", text)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--repos", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--debounce", type=float, default=2.0)
    options = parser.parse_args()
    rng = random.Random(11)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        bare, work = make_checkout(tmp, options.repos)
        # baseline: one event-driven run on the same tree
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "automator", "run", "apps", "--no-cache", "--pushed", f"{DEAD}/bench/app-0:1.0.1"],
                       cwd=work, env=ENV, check=True, capture_output=True)
        one_run = time.perf_counter() - started
        process = subprocess.Popen([sys.executable, "-m", "automator", "serve", "apps", "--listen", "127.0.0.1:0", "--no-cache",
                                    "--debounce", str(options.debounce)], cwd=work, env=ENV, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, text=True)
        url = None
        while url is None:
            line = process.stderr.readline()
            if not line:
                raise SystemExit("serve did not start")
            if "listening on " in line:
                url = line.split("listening on ", 1)[1].split()[0]
        threading.Thread(target=lambda: process.stderr.read(), daemon=True).start()
        commits: list[tuple[float, dict[int, int]]] = []
        stop = threading.Event()

        def watch() -> None:
            last = git(bare, "rev-parse", "main")
            while not stop.is_set():
                head = git(bare, "rev-parse", "main")
                if head != last:
                    commits.append((time.perf_counter(), tags_at(bare, head)))
                    last = head
                time.sleep(0.02)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        sent: list[tuple[float, int, int]] = []
        newest = {i: 1 for i in range(options.repos)}  # app-0 is at 1.0.1 already
        session = requests.Session()
        begin = time.perf_counter()
        for n in range(options.events):
            repo = rng.randrange(options.repos)
            newest[repo] += 1
            at = begin + n * options.seconds / options.events
            time.sleep(max(0.0, at - time.perf_counter()))
            answer = session.post(f"{url}/hooks/generic", data=json.dumps({"image": f"{DEAD}/bench/app-{repo}:1.0.{newest[repo]}"}),
                                  headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
            if answer.status_code != 202:
                raise SystemExit(f"event refused: {answer.status_code} {answer.text}")
            sent.append((time.perf_counter(), repo, newest[repo]))
        deadline = time.perf_counter() + 120
        while time.perf_counter() < deadline and (not commits or any(commits[-1][1].get(r, 0) < t for r, t in newest.items())):
            time.sleep(0.1)
        metrics = session.get(f"{url}/metrics", timeout=10).text
        stop.set()
        watcher.join(5)
        process.terminate()
        process.wait(60)
    runs = sum(float(m) for m in re.findall(r'automator_runs_total\{trigger="event"\} ([0-9.]+)', metrics))
    lost = [r for r, t in newest.items() if not commits or commits[-1][1].get(r, 0) < t]
    latencies = []
    for when, repo, tag in sent:
        landed = next((at for at, tags in commits if at >= when and tags.get(repo, 0) >= tag), None)
        if landed is not None:
            latencies.append(landed - when)
    p95 = statistics.quantiles(latencies, n=20)[18] if len(latencies) >= 20 else max(latencies, default=float("nan"))
    print(f"{options.events} events for {options.repos} repositories over {options.seconds:.0f} s, debounce {options.debounce:.1f} s; "
          f"{os.cpu_count()} cores")
    print(f"baseline: one event-driven run {one_run:.2f} s -> latency bound debounce + one run = {options.debounce + one_run:.2f} s")
    print(f"runs {runs:.0f} (goal <= 10), commits {len(commits)}, lost updates {len(lost)} (goal 0)")
    print(f"event-to-commit: median {statistics.median(latencies):.2f} s, p95 {p95:.2f} s, max {max(latencies):.2f} s "
          f"(goal p95 <= {options.debounce + one_run:.2f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
