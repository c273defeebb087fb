"""Event-driven run benchmark: from `automator run --pushed` to the pushed commit, against a
full `automator run` on the same tree, with the real registry behind a proxy that adds 50 ms
to every request.

    python3 benchmarks/bench_event.py [--manifests 1000] [--images 50] [--latency 0.05] [--repeat 5]

The package is byte-compiled first, as an installation is. The tree: --manifests files, --images of them automated (semver, one image repository each,
three tags each in the registry). Each measured run starts from a fresh clone of the same
bare remote and pushes one commit. The full run lists every repository; the event run is told
that one repository got a new tag (`--pushed REGISTRY/REPO:TAG`).
Goals: 0 tag-list requests for the event run; event run <= 1/3 of the full run's wall time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]

from goals import byte_compile  # noqa: E402
from local_registry import push_image, start_registry  # noqa: E402
from registry_proxy import RegistryProxy  # noqa: E402


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=Bench", "-c", "user.email=bench@example.com", *args], cwd=cwd,
                          check=True, capture_output=True, text=True).stdout.strip()


def manifest(index: int, image: str, automated: bool) -> str:
    annotations = "    automator.dev/policy: semver:^1\n" if automated else "    team: platform\n"
    return (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{index}\n  annotations:\n{annotations}"
        "spec:\n  template:\n    spec:\n      containers:\n"
        f"        - name: app\n          image: {image}\n          ports: [{{containerPort: 8080}}]\n"
    )


def make_remote(tmp: Path, host: str, manifests: int, images: int) -> Path:
    seed = tmp / "seed"
    seed.mkdir()
    git(seed, "init", "-q", "-b", "main")
    for i in range(manifests):
        automated = i < images
        image = f"{host}/bench/app-{i}:1.0.0" if automated else f"docker.io/library/nginx:1.{i % 20}.0"
        path = seed / "apps" / f"team-{i % 25}" / f"app-{i}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(manifest(i, image, automated))
    git(seed, "add", "-A")
    git(seed, "commit", "-qm", "seed")
    bare = tmp / "remote.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(seed), str(bare)], check=True)
    return bare


def timed_run(bare: Path, work: Path, proxy: RegistryProxy, args: list[str]) -> dict:
    subprocess.run(["git", "clone", "-q", str(bare), str(work)], check=True)
    git(work, "config", "user.name", "Bench")
    git(work, "config", "user.email", "bench@example.com")
    before = len(proxy.seen)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "automator", "run", "apps", "--no-cache", *args], cwd=work, env=env,
                          capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"run failed ({done.returncode}): {done.stderr[-2000:]}")
    seen = proxy.seen[before:]
    return {"wall": wall, "requests": len(seen), "tag_lists": sum("/tags/list" in s.path for s in seen)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--manifests", type=int, default=1000)
    parser.add_argument("--images", type=int, default=50)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()
    byte_compile()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        registry = start_registry(tmp)
        try:
            with ThreadPoolExecutor(8) as pool:
                list(pool.map(lambda i: [push_image(registry.url, f"bench/app-{i}", tag) for tag in ("1.0.0", "1.1.0", "1.2.0")],
                              range(options.images)))
            push_image(registry.url, "bench/app-0", "1.3.0")
            with RegistryProxy(registry.url, latency=options.latency) as proxy:
                host = proxy.url.split("://", 1)[1]
                bare = make_remote(tmp, host, options.manifests, options.images)
                full, event = [], []
                for round_ in range(options.repeat):
                    reset = git(bare, "rev-parse", "main")
                    full.append(timed_run(bare, tmp / f"full-{round_}", proxy, []))
                    git(bare, "update-ref", "refs/heads/main", reset)  # the same starting tree for both
                    event.append(timed_run(bare, tmp / f"event-{round_}", proxy, ["--pushed", f"{host}/bench/app-0:1.3.0"]))
                    git(bare, "update-ref", "refs/heads/main", reset)
        finally:
            registry.stop()
    walls_full = [r["wall"] for r in full]
    walls_event = [r["wall"] for r in event]
    ratio = [e / f for e, f in zip(walls_event, walls_full, strict=True)]
    print(f"tree: {options.manifests} manifests, {options.images} automated images; registry +{options.latency * 1000:.0f} ms/request; "
          f"{os.cpu_count()} cores; {options.repeat} rounds")
    print(f"full run  (baseline): wall min/median/max {min(walls_full):.2f}/{statistics.median(walls_full):.2f}/{max(walls_full):.2f} s, "
          f"{full[0]['requests']} registry requests, {full[0]['tag_lists']} tag lists")
    print(f"event run (--pushed): wall min/median/max {min(walls_event):.2f}/{statistics.median(walls_event):.2f}/{max(walls_event):.2f} s, "
          f"{event[0]['requests']} registry requests, {event[0]['tag_lists']} tag lists   goal: 0 tag lists")
    print(f"event / full wall: min/median/max {min(ratio):.2f}/{statistics.median(ratio):.2f}/{max(ratio):.2f}   goal: <= 0.33")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
