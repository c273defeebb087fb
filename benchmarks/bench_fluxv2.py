"""Benchmark of the Flux v2 dialect: `automator update --tags-from` on a generated env repo
whose automated fields are `$imagepolicy` markers, against a ruamel.yaml round-trip of the
same files (the naive approach), both measured in this run.

Prints: tree size; wall time and MB/s of the update, split into planning (first pass +
locating + selecting) and writing (patch, verify, atomic write with fsync); the share of the
first pass that reads the ImagePolicy/ImageRepository catalog; the ratio against the
round-trip; and the peak Python memory of the first pass at N/2 and N files, next to that of
the discovery walk alone (flat means the ratio stays near 1).

    python3 benchmarks/bench_fluxv2.py [--files 5000] [--sample 150]
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ruamel.yaml import YAML  # noqa: E402

from automator.manifest.discover import manifest_paths  # noqa: E402
from automator.manifest.fluxv2.tree import read_catalog  # noqa: E402
from automator.run import make_plan, write_plan  # noqa: E402
from automator.tagfile import FileTagSource  # noqa: E402

POLICIES = 40
FILLER = "".join(f"        - name: VAR_{i}\n          value: \"some value {i}\" # a comment\n" for i in range(40))


def policy_objects(count: int) -> str:
    docs = []
    for i in range(count):
        docs.append(
            f"apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\n"
            f"metadata: {{name: app{i}, namespace: flux-system}}\nspec: {{image: ghcr.io/acme/app{i}}}\n"
        )
        docs.append(
            f"apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\n"
            f"metadata: {{name: app{i}, namespace: flux-system}}\n"
            f"spec:\n  imageRepositoryRef: {{name: app{i}}}\n  policy: {{semver: {{range: 1.x}}}}\n"
        )
    return "---\n".join(docs)


def deployment(index: int, marked: bool, app: int) -> str:
    marker = f' # {{"$imagepolicy": "flux-system:app{app}"}}' if marked else ""
    return (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-{index}\n  namespace: apps\n"
        f"spec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n      - name: web\n"
        f"        image: ghcr.io/acme/app{app}:1.0.0{marker}\n        env:\n{FILLER}"
    )


def generate(root: Path, files: int) -> int:
    rng = random.Random(7)
    (root / "flux-system").mkdir(parents=True)
    (root / "flux-system" / "images.yaml").write_text(policy_objects(POLICIES))
    size = 0
    for index in range(files):
        folder = root / "apps" / f"team{index % 50}"
        folder.mkdir(parents=True, exist_ok=True)
        text = deployment(index, index % 5 == 0, rng.randrange(POLICIES))
        (folder / f"web-{index}.yaml").write_text(text)
        size += len(text)
    return size


def tags_file(path: Path) -> None:
    path.write_text("".join(f"ghcr.io/acme/app{i}: [1.0.0, 1.1.0, 1.2.0, 2.0.0]\n" for i in range(POLICIES)))


def round_trip_seconds(paths: list[Path]) -> float:
    yaml = YAML()
    start = time.perf_counter()
    for path in paths:
        out = io.StringIO()
        yaml.dump_all(list(yaml.load_all(path.read_text())), out)
    return time.perf_counter() - start


def peak(work) -> int:
    tracemalloc.start()
    work()
    found = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return found


def walk(root: Path) -> None:
    for _ in manifest_paths(root):
        pass


def main_bench() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--sample", type=int, default=150, help="files in the round-trip sample (scaled up)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root, half = Path(tmp) / "repo", Path(tmp) / "half"
        size = generate(root, args.files)
        tags = Path(tmp) / "tags.yaml"
        tags_file(tags)
        mb = size / 1e6

        start = time.perf_counter()
        read_catalog(root)
        first_pass = time.perf_counter() - start

        start = time.perf_counter()
        plan = make_plan(root, FileTagSource.load(tags))
        planned = time.perf_counter() - start
        changed, failed = write_plan(root, plan)
        update = time.perf_counter() - start

        paths = sorted(root.rglob("*.yaml"))[: args.sample]
        sample_mb = sum(p.stat().st_size for p in paths) / 1e6
        naive = round_trip_seconds(paths) * (mb / sample_mb)

        generate(half, args.files // 2)
        memory = {name: (peak(lambda t=tree: read_catalog(t)), peak(lambda t=tree: walk(t))) for name, tree in (("half", half), ("full", root))}

    print(f"tree: {args.files} manifests, {mb:.1f} MB, a fifth marked with $imagepolicy, {POLICIES} policies")
    print(f"update (make_plan + write_plan, --tags-from): {update:.2f} s, {mb / update:.1f} MB/s; {len(changed)} files changed, {len(failed)} failed")
    print(f"  planning: {planned:.2f} s ({mb / planned:.1f} MB/s), of which the first pass (ImagePolicy catalog): {first_pass:.2f} s")
    print(f"  writing (patch, verify, atomic write): {update - planned:.2f} s")
    print(f"ruamel.yaml round-trip (naive, {len(paths)}-file sample scaled): {naive:.1f} s, {mb / naive:.2f} MB/s")
    print(f"ratio: update is {naive / update:.1f}x faster than the round-trip (planning alone {naive / planned:.1f}x)")
    (cat_half, walk_half), (cat_full, walk_full) = memory["half"], memory["full"]
    print(
        f"first-pass peak memory: {cat_half / 1e6:.2f} MB at {args.files // 2} files, {cat_full / 1e6:.2f} MB at {args.files} "
        f"(ratio {cat_full / cat_half:.2f}); the discovery walk alone: {walk_half / 1e6:.2f} MB, {walk_full / 1e6:.2f} MB (ratio {walk_full / walk_half:.2f})"
    )


if __name__ == "__main__":
    main_bench()
