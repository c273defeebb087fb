"""Tag selection over 10,000 Docker Hub-like tags, for every policy kind.

Prints CPU milliseconds per selection (process time, best of several runs: on a shared,
loaded machine wall time mostly measures waiting for a core) and the ratio to a naive
baseline measured in the same run: sorting the 10,000 tag strings (``sorted(tags)``).
Run: python3 benchmarks/bench_policy.py [--tags N] [--repeat R]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from automator.model import PolicySpec, TagInfo  # noqa: E402
from automator.policy import make_policy  # noqa: E402

POLICIES = [
    PolicySpec("semver:>=1.0.0 <2.0.0"),
    PolicySpec("semver:~1.25 || ^2, !=2.3.x"),
    PolicySpec("semver:>=1.0.0-0"),
    PolicySpec("alphabetical"),
    PolicySpec("numerical:desc"),
    PolicySpec("glob:main-*"),
    PolicySpec("regex:^v?[0-9]+\\.[0-9]+\\.[0-9]+-alpine$"),
    PolicySpec("numerical", filter=r"^main-[a-f0-9]+-(?P<ts>[0-9]+)$", extract="$ts"),
    PolicySpec("semver:^1", filter=r"^v?(?P<v>[0-9]+\.[0-9]+\.[0-9]+)-alpine$", extract="$v"),
]


def docker_hub_like_tags(count: int, seed: int = 7) -> list[TagInfo]:
    """A mix like a busy official image: versions with and without v, partials, variants,
    prereleases, sha and branch builds, dates, numbers and a few words."""
    rng = random.Random(seed)
    start = datetime(2020, 1, 1, tzinfo=timezone.utc)
    tags: dict[str, TagInfo] = {}
    while len(tags) < count:
        major, minor, patch = rng.randint(0, 3), rng.randint(0, 30), rng.randint(0, 40)
        shape = rng.random()
        if shape < 0.30:
            tag = f"{major}.{minor}.{patch}"
        elif shape < 0.40:
            tag = f"v{major}.{minor}.{patch}"
        elif shape < 0.47:
            tag = f"{major}.{minor}"
        elif shape < 0.60:
            tag = f"{major}.{minor}.{patch}-{rng.choice(['alpine', 'bookworm', 'slim', 'alpine3.19'])}"
        elif shape < 0.68:
            tag = f"{major}.{minor}.{patch}-{rng.choice(['rc', 'beta', 'alpha'])}.{rng.randint(1, 12)}"
        elif shape < 0.72:
            tag = f"{major}.{minor}.{patch}-rc{rng.randint(1, 12)}"
        elif shape < 0.82:
            tag = f"main-{rng.getrandbits(28):07x}-{1700000000 + rng.randint(0, 10**7)}"
        elif shape < 0.88:
            tag = f"sha-{rng.getrandbits(28):07x}"
        elif shape < 0.93:
            tag = f"RELEASE.2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}-00-00Z"
        elif shape < 0.98:
            tag = str(rng.randint(1, 99999))
        else:
            tag = rng.choice(["latest", "stable", "edge", "nightly", "mainline"]) + str(rng.randint(0, 50))
        created = start + timedelta(minutes=rng.randint(0, 3 * 365 * 24 * 60)) if rng.random() < 0.9 else None
        tags[tag] = TagInfo(tag, created=created)
    return list(tags.values())


def best_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        times.append((time.process_time() - t0) * 1000)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tags", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()

    tags = docker_hub_like_tags(args.tags)
    strings = [t.tag for t in tags]
    baseline = best_ms(lambda: sorted(strings), args.repeat)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{len(tags)} tags, CPU time, best of {args.repeat} runs, load average {load:.1f} on {os.cpu_count()} cores")
    print(f"baseline sorted(tags): {baseline:.2f} ms")
    print(f"{'policy':<72} {'ms/select':>9} {'x baseline':>10}  chosen")
    worst = 0.0
    for spec in POLICIES:
        policy = make_policy(spec)
        ms = best_ms(lambda policy=policy: policy.select(tags, current="1.2.3"), args.repeat)
        worst = max(worst, ms)
        label = spec.spec + (f"  filter={spec.filter} extract={spec.extract}" if spec.filter else "")
        print(f"{label:<72} {ms:>9.2f} {ms / baseline:>10.1f}  {policy.select(tags).chosen}")
    print(f"slowest selection: {worst:.2f} ms (aim: well under 50 ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
