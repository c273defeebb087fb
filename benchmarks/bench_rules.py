"""What environment rules cost the planning stage.

Generates an env repo (default 5,000 manifests, a fifth automated, 300 repositories with 30
tags each), locates it once, then times ``plan_updates`` three ways on the same uses: without
rules (the baseline), with the empty rules every run gets (holds and follow annotations are
still honoured), and with a rules file of freeze windows, change-size limits and a minimum
age. Prints seconds per 1,000 images and the ratios against the baseline.

    python3 benchmarks/bench_rules.py [--files N]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from automator.manifest.locators import resolve  # noqa: E402
from automator.plan import build_policies, plan_updates  # noqa: E402
from automator.rules import RulesRuntime, parse_rules  # noqa: E402
from automator.run import locate_tree  # noqa: E402
from automator.tagfile import FileTagSource  # noqa: E402

RULES = """\
rules:
  - match: {paths: "d1*/**"}
    max-change: patch
  - match: {images: "ghcr.io/acme/app1*"}
    min-age: 1d
  - freeze:
      - {from: Sat 00:00, to: Sat 01:00, timezone: Europe/Berlin}
  - match: {change: major}
    write: pr
"""


def generate(root: Path, files: int, repositories: int = 300) -> Path:
    for i in range(files):
        annotation = '    automator.dev/policy: "semver:^1"\n' if i % 5 == 0 else "    team: web\n"
        folder = root / f"d{i // 100}"
        folder.mkdir(exist_ok=True)
        (folder / f"app{i}.yaml").write_text(
            f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app{i}\n  annotations:\n{annotation}"
            f"spec:\n  template:\n    spec:\n      containers:\n        - name: app\n"
            f"          image: ghcr.io/acme/app{i % repositories}:1.0.0\n"
        )
    old = "2024-01-01T00:00:00Z"
    tags = {f"ghcr.io/acme/app{r}": [{"tag": f"1.{m}.0", "created": old} for m in range(30)] for r in range(repositories)}
    path = root.parent / "tags.json"
    path.write_text(json.dumps(tags))
    return path


def best_of(runs: int, action) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp) / "repo"
        root.mkdir()
        source = FileTagSource.load(generate(root, args.files))
        uses, _ = resolve(locate_tree(root, root))
        policies = build_policies(uses)
        tags = dict(source.list_tags(sorted({u.image.repository for u in uses})))
        monday = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
        rules = parse_rules(RULES, "bench.yaml")

        def with_rules(ruleset):
            def run():
                runtime = RulesRuntime.empty(root, clock=lambda: monday)
                runtime.rules = ruleset
                return plan_updates(uses, tags, policies, rules=runtime.bind(root, source))
            return run

        base = best_of(3, lambda: plan_updates(uses, tags, policies))
        empty = best_of(3, with_rules(parse_rules("rules: []", "empty.yaml")))
        full = best_of(3, with_rules(rules))
        per = 1000 / max(len(uses), 1)
        print(f"{args.files} manifests, {len(uses)} automated images, {len(tags)} repositories")
        print(f"plan without rules (baseline): {base * per:.3f} s per 1,000 images")
        print(f"plan with empty rules:         {empty * per:.3f} s per 1,000 images  ratio {empty / base:.2f}")
        print(f"plan with {len(rules.rules)} rules:             {full * per:.3f} s per 1,000 images  ratio {full / base:.2f}")


if __name__ == "__main__":
    main()
