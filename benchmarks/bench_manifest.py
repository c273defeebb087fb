"""Benchmark: `automator update --tags-from` on a generated environment repository.

Generates >= 5,000 manifests (about 20 MB, a fifth of them automated) in a temp dir, runs the
real CLI in a subprocess and prints wall time and MB/s, then the naive approach measured in the
same run: a ruamel.yaml round-trip load + dump of the same files. The round-trip is slow, so by
default it runs on every 10th file and is scaled by size (``--baseline-every 1`` measures all).
Peak memory (ru_maxrss of the update process) is printed at two repo sizes.

    python3 benchmarks/bench_manifest.py [--files 5000] [--baseline-every 10]
"""

from __future__ import annotations

import argparse
import io
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPOS = 200

AUTOMATED = """# service {i}: managed by automation
apiVersion: apps/v1
kind: Deployment
metadata:
  name: svc-{i}
  namespace: team-{team}
  labels: {{app: svc-{i}, team: team-{team}}}
  annotations:
    fluxcd.io/automated: "true"
    fluxcd.io/tag.app: semver:~1.{minor}
spec:
  replicas: 3
  selector:
    matchLabels: {{app: svc-{i}}}
  template:
    metadata:
      labels: {{app: svc-{i}}}
    spec:
      initContainers:
      - name: migrate
        image: "registry.example.com/team-{team}/migrate-{repo}:1.{minor}.0"
      containers:
      - name: app
        image: registry.example.com/team-{team}/app-{repo}:1.{minor}.{patch}   # keep this comment
        ports: [{{containerPort: 8080, name: http}}]
        env:
{env}        resources:
          limits: {{cpu: 500m, memory: 256Mi}}
          requests: {{cpu: 100m, memory: 128Mi}}
"""
PLAIN = """apiVersion: v1
kind: ConfigMap
metadata:
  name: config-{i}
  namespace: team-{team}
data:
  settings.yaml: |
{body}---
apiVersion: v1
kind: Service
metadata:
  name: svc-{i}
spec:
  ports:
  - port: 80
    targetPort: http
  selector: {{app: svc-{i}}}
"""


def manifest_text(i: int, rng: random.Random) -> str:
    """The ``i``-th generated manifest (~4 KB; every 5th automated, with two images)."""
    team = i % 40
    if i % 5 == 0:
        env = "".join(
            f'        - name: VAR_{k}\n          value: "{rng.randrange(10**12)}-{"x" * 40}"\n' for k in range(38)
        )
        return AUTOMATED.format(i=i, team=team, repo=i % REPOS, minor=i % 3, patch=rng.randrange(5), env=env)
    body = "".join(f"    key_{k}: value-{rng.randrange(10**9)}-{'y' * 30}  # note {k}\n" for k in range(52))
    return PLAIN.format(i=i, team=team, body=body)


def generate(root: Path, files: int, seed: int = 7) -> int:
    """Write ``files`` manifests (~4 KB each, every 5th automated); return the total bytes."""
    rng = random.Random(seed)
    total = 0
    for i in range(files):
        folder = root / f"team-{i % 40}" / ("apps" if i % 5 == 0 else "config")
        folder.mkdir(parents=True, exist_ok=True)
        text = manifest_text(i, rng)
        (folder / f"manifest-{i}.yaml").write_text(text)
        total += len(text.encode())
    return total


def generate_single(path: Path, size: int, seed: int = 7) -> int:
    """Write one multi-document file of the generated manifests, about ``size`` bytes;
    return how many manifests it holds (a fifth of them automated, two images each)."""
    rng = random.Random(seed)
    texts, total = [], 0
    while total < size:
        texts.append(manifest_text(len(texts), rng))
        total += len(texts[-1]) + 4
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("---\n".join(texts))
    return len(texts)


def write_tags(path: Path, files: int) -> None:
    """Tags of every repository the generated manifests use (36 versions each)."""
    versions = ", ".join(f"1.{m}.{p}" for m in range(3) for p in range(12))
    used = {(i % 40, i % REPOS) for i in range(0, files, 5)}
    lines = []
    for team, repo in sorted(used):
        lines.append(f"registry.example.com/team-{team}/app-{repo}: [{versions}]")
        lines.append(f"registry.example.com/team-{team}/migrate-{repo}: [{versions}]")
    path.write_text("\n".join(lines) + "\n")


def run_update(repo: Path, tags: Path) -> tuple[float, float, int, str]:
    code = (
        "import resource, sys\n"
        "from automator.cli import main\n"
        "rc = main(sys.argv[1:])\n"
        "peak = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))\n"
        "print('maxrss', peak, file=sys.stderr)\n"
        "sys.exit(rc)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", code, "update", str(repo), "--tags-from", str(tags), "-q"],
        capture_output=True, text=True, env=env,
    )
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    if result.returncode != 0:
        raise SystemExit(f"update failed ({result.returncode}): {result.stderr[-2000:]}")
    maxrss = int(result.stderr.split("maxrss")[-1].split()[0])
    return elapsed, cpu, maxrss, result.stdout


def round_trip(paths: list[Path]) -> tuple[float, float, int]:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    size = 0
    start, cpu = time.perf_counter(), time.process_time()
    for path in paths:
        text = path.read_text()
        size += len(text.encode())
        out = io.StringIO()
        yaml.dump_all(list(yaml.load_all(text)), out)
    return time.perf_counter() - start, time.process_time() - cpu, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--baseline-every", type=int, default=10, metavar="K", help="round-trip every K-th file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-manifest-") as tmp:
        work = Path(tmp)
        tags = work / "tags.yaml"
        write_tags(tags, args.files)
        small, big = work / "small", work / "big"
        small_bytes = generate(small, args.files // 4)
        big_bytes = generate(big, args.files)
        pristine = work / "pristine"
        shutil.copytree(big, pristine)

        small_time, _, small_rss, _ = run_update(small, tags)
        big_time, big_cpu, big_rss, out = run_update(big, tags)
        changed = len({line.split(":")[0] for line in out.splitlines() if "->" in line})

        paths = sorted(pristine.rglob("*.yaml"))[:: args.baseline_every]
        rt_time, rt_cpu, rt_bytes = round_trip(paths)
        rt_full, rt_cpu_full = rt_time * big_bytes / rt_bytes, rt_cpu * big_bytes / rt_bytes

        mb = big_bytes / 1e6
        print(f"repo: {args.files} manifests, {mb:.1f} MB, {args.files // 5} automated, {changed} files updated")
        print(
            f"automator update --tags-from: {big_time:.2f} s wall ({mb / big_time:.1f} MB/s), "
            f"{big_cpu:.2f} s CPU incl. workers ({mb / big_cpu:.1f} MB/s per core); process start included"
        )
        print(
            f"ruamel.yaml round-trip load+dump: {rt_time:.2f} s wall, {rt_cpu:.2f} s CPU for {len(paths)} files "
            f"({rt_bytes / 1e6:.1f} MB, {rt_bytes / 1e6 / rt_time:.2f} MB/s) -> {rt_full:.1f} s wall, "
            f"{rt_cpu_full:.1f} s CPU for the whole repo"
        )
        print(
            f"ratio: automator is {rt_full / big_time:.1f}x faster in wall time, {rt_cpu_full / big_cpu:.1f}x in CPU "
            f"time than the round-trip (aims: >= 10x, >= 5 MB/s); {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}"
        )
        print(
            f"peak memory (ru_maxrss, largest of the process and its workers): {small_rss / 1024:.1f} MB at {args.files // 4} files "
            f"({small_bytes / 1e6:.1f} MB, {small_time:.2f} s), {big_rss / 1024:.1f} MB at {args.files} files ({mb:.1f} MB)"
        )


if __name__ == "__main__":
    main()
