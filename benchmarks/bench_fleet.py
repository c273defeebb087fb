"""Fleet benchmark: 40 environment repositories, 4 shard processes, one shared Redis.

    python3 benchmarks/bench_fleet.py [--envs 40] [--images 25] [--repos 100] [--shards 4]
                                      [--latency 0.05] [--parallel-repos 10] [--repeat 3]

Each environment repository (a bare remote on disk) has --images automated images drawn from
--repos distinct image repositories in the real registry, behind a proxy that adds --latency
to every request and counts them. --shards `automator fleet` processes start together and
share a real redis-server (--cache-url); the same fleet then runs without Redis (each shard
with its own disk cache) for comparison. Baselines measured in the same run: one repository's
`automator run --repo` with the tags already cached (the slowest of five) and one round of
listing every image repository cold. Also printed: the same cold round when --shards processes
that each need every image repository share one Redis (single-flight: each lists its share).
Goals: tag-list requests = --repos for the whole fleet with Redis; 100% of updates landed;
fleet wall <= 1.5 x (slowest single repository run + one round of listing).
Also printed: the CPU time of the shards (their git processes included), which on this
machine's cores puts a floor under any schedule's wall time, and each shard's wall when it
runs alone with a cold cache, as it does on a machine of its own.

--work-dir DIR puts everything on DIR's file system: the registry's storage, the bare remotes
and, through TMPDIR, the clones of every shard and of the baseline runs (default: the system
temporary directory). A fleet run creates and deletes some 200 files per repository; compare
a memory-backed DIR (/dev/shm) with the disk to see what the file system costs.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]

from goals import byte_compile, file_system  # noqa: E402
from local_redis import start_redis  # noqa: E402
from local_registry import push_image, start_registry  # noqa: E402
from registry_proxy import RegistryProxy  # noqa: E402

from automator.context import Context  # noqa: E402
from automator.registry import RegistryTagSource  # noqa: E402

ENV = {**os.environ, "PYTHONPATH": str(ROOT), "GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
       "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@example.com"}


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, env=ENV, check=True, capture_output=True, text=True).stdout.strip()


def manifest(name: str, image: str) -> str:
    return (f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  annotations:\n"
            "    automator.dev/policy: semver:^1\nspec:\n  template:\n    spec:\n      containers:\n"
            f"        - name: app\n          image: {image}\n")


def make_fleet(tmp: Path, host: str, envs: int, images: int, repos: int) -> tuple[list[Path], dict[str, str]]:
    """Bare remotes (and the commit each starts at), every image repository used at least once."""
    rng = random.Random(7)
    remotes, starts = [], {}
    for e in range(envs):
        seed = tmp / f"seed-{e}"
        seed.mkdir()
        git(seed, "init", "-q", "-b", "main")
        chosen = rng.sample(range(repos), images)
        if e < repos // images + 1:  # make sure every image repository appears somewhere
            chosen = [(e * images + i) % repos for i in range(images)]
        for i, r in enumerate(chosen):
            (seed / "apps").mkdir(exist_ok=True)
            (seed / "apps" / f"app-{i}.yaml").write_text(manifest(f"app-{i}", f"{host}/fleet/img-{r}:1.0.0"))
        git(seed, "add", "-A")
        git(seed, "commit", "-qm", "seed")
        bare = tmp / f"env-{e}.git"
        subprocess.run(["git", "clone", "-q", "--bare", str(seed), str(bare)], check=True)
        remotes.append(bare)
        starts[str(bare)] = git(bare, "rev-parse", "main")
    return remotes, starts


def reset(remotes: list[Path], starts: dict[str, str]) -> None:
    for bare in remotes:
        git(bare, "update-ref", "refs/heads/main", starts[str(bare)])


def landed(remotes: list[Path], starts: dict[str, str], images: int) -> float:
    done = 0
    for bare in remotes:
        if git(bare, "rev-parse", "main") != starts[str(bare)]:
            text = git(bare, "grep", "-c", ":1.2.0", "main", "--", "apps")
            done += sum(int(line.rsplit(":", 1)[1]) for line in text.splitlines())
    return done / (len(remotes) * images)


def git_processes(trace: Path) -> tuple[int, int]:
    """(git processes the tool started, processes those started) in a GIT_TRACE2_EVENT file."""
    import json

    starts = [event for event in map(json.loads, trace.read_text().splitlines()) if event["event"] == "start"]
    top = sum(1 for event in starts if "/" not in event["sid"])
    return top, len(starts) - top


def children_cpu() -> float:
    """CPU seconds (user + sys) of the waited-for child processes so far, their own children
    included (the git processes of a shard, and the remote's side they start)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_fleet(tmp: Path, fleet_file: Path, shards: int, parallel: int, cache_url: str | None,
              only: int | None = None) -> tuple[float, float]:
    """The wall time of the shards started together (or of shard ``only`` alone), and the CPU
    time they took."""
    cpu = children_cpu()
    started = time.perf_counter()
    processes = []
    for index in range(shards) if only is None else (only,):
        cache = ["--cache-url", cache_url, "--no-cache"] if cache_url else ["--cache-dir", str(tmp / f"cache-{index}-{time.time_ns()}")]
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "automator", "fleet", str(fleet_file), "--shard", f"{index}/{shards}",
             "--parallel-repos", str(parallel), *cache], env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
    errors = [p.communicate()[1] for p in processes]
    wall = time.perf_counter() - started
    failed = [e for p, e in zip(processes, errors, strict=True) if p.returncode != 0]
    if failed:
        raise SystemExit(f"a shard failed: {failed[0][-2000:]}")
    return wall, children_cpu() - cpu


SHARED_ROUND = """
import sys, time
from automator.context import Context
from automator.registry import RegistryTagSource
from automator.registry.redis_cache import RedisCache
url, at, repositories = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
with RegistryTagSource(Context({}), concurrency=8, cache=RedisCache(url)) as source:
    time.sleep(max(0.0, at - time.time()))  # every process starts listing at the same moment
    source.list_tags(repositories)
print(time.time() - at)
"""


def shared_listing_round(url: str, client, repositories: list[str], processes: int) -> float:
    """The wall time of ``processes`` processes that each need every repository and share one
    Redis, started together and cold: single-flight lists each repository once, and each
    process lists what nobody else is listing before it waits for the others."""
    client.flushall()
    at = time.time() + 1.5  # after every interpreter has started
    workers = [subprocess.Popen([sys.executable, "-c", SHARED_ROUND, url, str(at), *repositories], env=ENV,
                                stdout=subprocess.PIPE, text=True) for _ in range(processes)]
    return max(float(w.communicate()[0]) for w in workers)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--envs", type=int, default=40)
    parser.add_argument("--images", type=int, default=25)
    parser.add_argument("--repos", type=int, default=100)
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--parallel-repos", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--work-dir", type=Path, default=None, help="where everything goes (default: the system temp dir)")
    options = parser.parse_args()
    byte_compile()
    with tempfile.TemporaryDirectory(dir=options.work_dir) as tmp_name:
        tmp = Path(tmp_name)
        ENV["TMPDIR"] = str(tmp)  # the clones of the shards and of the baseline runs
        registry = start_registry(tmp)
        redis = start_redis(tmp / "redis")
        try:
            with ThreadPoolExecutor(8) as pool:
                list(pool.map(lambda r: [push_image(registry.url, f"fleet/img-{r}", t) for t in ("1.0.0", "1.2.0")], range(options.repos)))
            with RegistryProxy(registry.url, latency=options.latency) as proxy:
                host = proxy.url.split("://", 1)[1]
                remotes, starts = make_fleet(tmp, host, options.envs, options.images, options.repos)
                import redis as redis_client

                client = redis_client.Redis.from_url(redis.url)
                fleet_file = tmp / "fleet.yaml"
                fleet_file.write_text("version: 1\ndefaults: {path: apps}\nrepositories:\n" + "".join(f"  - url: {r}\n" for r in remotes))
                shared, alone, tag_lists, tag_lists_alone, share_landed, cpus = [], [], [], [], [], []
                for _ in range(options.repeat):
                    client.flushall()  # every round starts cold
                    reset(remotes, starts)
                    before = proxy.count(r"/tags/list")
                    wall, cpu = run_fleet(tmp, fleet_file, options.shards, options.parallel_repos, redis.url)
                    shared.append(wall)
                    cpus.append(cpu)
                    tag_lists.append(proxy.count(r"/tags/list") - before)
                    share_landed.append(landed(remotes, starts, options.images))
                    reset(remotes, starts)
                    before = proxy.count(r"/tags/list")
                    alone.append(run_fleet(tmp, fleet_file, options.shards, options.parallel_repos, None)[0])
                    tag_lists_alone.append(proxy.count(r"/tags/list") - before)
                # each shard alone, cold, as it runs on a machine of its own
                apart = []
                for index in range(options.shards):
                    client.flushall()
                    reset(remotes, starts)
                    apart.append(run_fleet(tmp, fleet_file, options.shards, options.parallel_repos, redis.url, only=index)[0])
                # baselines: one repository's run with its tags cached, one cold round of listing
                singles, single_cpus = [], []
                for bare in remotes[:5]:
                    reset(remotes, starts)
                    cpu = children_cpu()
                    started = time.perf_counter()
                    subprocess.run([sys.executable, "-m", "automator", "run", "--repo", str(bare), "apps", "--no-cache",
                                    "--cache-url", redis.url], env=ENV, check=True, capture_output=True)
                    singles.append(time.perf_counter() - started)
                    single_cpus.append(children_cpu() - cpu)
                reset(remotes, starts)  # one more, counting its git processes (not timed: tracing costs)
                trace = tmp / "trace.json"
                subprocess.run([sys.executable, "-m", "automator", "run", "--repo", str(remotes[0]), "apps", "--no-cache",
                                "--cache-url", redis.url], env={**ENV, "GIT_TRACE2_EVENT": str(trace)}, check=True, capture_output=True)
                processes = git_processes(trace)
                images = [f"{host}/fleet/img-{r}" for r in range(options.repos)]
                started = time.perf_counter()
                with RegistryTagSource(Context(dict(os.environ)), concurrency=8) as source:
                    source.list_tags(images)
                listing = time.perf_counter() - started
                shared_listing = shared_listing_round(redis.url, client, images, options.shards)
        finally:
            redis.stop()
            registry.stop()
    bound = 1.5 * (max(singles) + listing)
    print(f"work dir: {file_system(Path(options.work_dir or tempfile.gettempdir()))}")
    print(f"fleet: {options.envs} environment repositories x {options.images} images from {options.repos} image repositories; "
          f"{options.shards} shards, --parallel-repos {options.parallel_repos}; registry +{options.latency * 1000:.0f} ms/request; "
          f"{os.cpu_count()} cores; {options.repeat} rounds")
    print(f"baseline: slowest single repository run {max(singles):.2f} s, one cold listing round {listing:.2f} s "
          f"-> bound 1.5 x = {bound:.2f} s")
    print(f"one cold listing round shared by {options.shards} processes through Redis: {shared_listing:.2f} s "
          f"({shared_listing / listing:.2f} x one process's round)")
    print(f"git processes of one repository's run: {processes[0]} started by the tool, {processes[1]} more started by git "
          "(the remote's side of clone and push)")
    print(f"with Redis:    wall min/median/max {min(shared):.2f}/{statistics.median(shared):.2f}/{max(shared):.2f} s, "
          f"tag lists {tag_lists} (goal {options.repos}), updates landed {min(share_landed):.0%} (goal 100%), "
          f"wall / bound {statistics.median(shared) / bound:.2f} (goal <= 1.00)")
    cores = len(os.sched_getaffinity(0))
    cpu = statistics.median(cpus)
    print(f"CPU of the shards with Redis (user + sys, their git processes included): median {cpu:.2f} s, "
          f"{cpu / options.envs:.3f} s per repository (a single run: {statistics.median(single_cpus):.2f} s); "
          f"on {cores} cores no schedule takes less than {cpu / cores:.2f} s of wall = {cpu / cores / bound:.2f} x the bound")
    print(f"each shard alone, cold (as on a machine of its own): wall max {max(apart):.2f} s "
          f"({', '.join(f'{w:.2f}' for w in apart)}) = {max(apart) / bound:.2f} x the bound")
    print(f"without Redis: wall min/median/max {min(alone):.2f}/{statistics.median(alone):.2f}/{max(alone):.2f} s, "
          f"tag lists {tag_lists_alone}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
