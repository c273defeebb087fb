"""Per-file work spread over processes gives exactly the serial result."""

from __future__ import annotations

from pathlib import Path

from automator import parallel
from automator.model import TagInfo
from automator.parallel import parallel_map
from automator.run import make_plan, write_plan


class Tags:
    def list_tags(self, repositories):
        return {r: (TagInfo("1.0.0"), TagInfo("1.1.0")) for r in repositories}

    def metadata(self, repository, tags):
        return {t: TagInfo(t) for t in tags}


def test_parallel_map_keeps_order_and_values() -> None:
    items = list(range(-300, 300))
    assert list(parallel_map(abs, items, min_items=1, chunksize=7)) == [abs(i) for i in items]


def test_a_large_tree_plans_and_writes_the_same_with_and_without_workers(tmp_path: Path, monkeypatch) -> None:
    from automator import run

    monkeypatch.setattr(run, "POOL_MIN_FILES", 100)  # this tree's 150 files to parse go to workers
    def tree(root: Path) -> None:
        for i in range(450):
            (root / f"d{i % 7}").mkdir(parents=True, exist_ok=True)
            automated = i % 3 == 0
            text = (
                f"kind: Deployment\nmetadata:\n  name: w{i}\n"
                + ('  annotations: {fluxcd.io/automated: "true", fluxcd.io/tag.c: "semver:^1"}\n' if automated else "")
                + f"spec:\n  template:\n    spec:\n      containers:\n      - name: c\n        image: acme/app{i % 5}:1.0.0\n"
            )
            (root / f"d{i % 7}" / f"m{i}.yaml").write_text(text)

    serial_root, parallel_root = tmp_path / "serial", tmp_path / "parallel"
    tree(serial_root)
    tree(parallel_root)
    in_parallel = make_plan(parallel_root, Tags())
    written_in_parallel = write_plan(parallel_root, in_parallel)
    monkeypatch.setattr(parallel, "MAX_WORKERS", 1)
    serially = make_plan(serial_root, Tags())
    assert in_parallel == serially and len(serially.updates) == 150
    assert written_in_parallel == write_plan(serial_root, serially)
    for path in serial_root.rglob("*.yaml"):
        assert path.read_bytes() == (parallel_root / path.relative_to(serial_root)).read_bytes()


def test_per_file_work_collects_cycles_rarely_and_restores_the_collector_after(tmp_path: Path, monkeypatch) -> None:
    import gc

    from automator.manifest import locate

    before = gc.get_threshold()
    seen: list[tuple[int, ...]] = []
    real = locate.compose
    monkeypatch.setattr(locate, "compose", lambda *a, **k: seen.append(gc.get_threshold()) or real(*a, **k))
    (tmp_path / "m.yaml").write_text(
        'kind: Deployment\nmetadata:\n  name: w\n  annotations: {fluxcd.io/automated: "true"}\n'
        "spec:\n  template:\n    spec:\n      containers:\n      - name: c\n        image: acme/app:1.0.0\n"
    )
    plan = make_plan(tmp_path, Tags())
    assert len(plan.updates) == 1 and seen and all(t[0] >= parallel.YOUNG_THRESHOLD for t in seen)
    assert gc.get_threshold() == before
    try:
        with parallel.fewer_collections():
            raise RuntimeError("a failing pass")
    except RuntimeError:
        pass
    assert gc.get_threshold() == before


def test_passes_on_two_threads_leave_the_collector_as_they_found_it() -> None:
    import gc
    import threading

    before = gc.get_threshold()
    first_in, second_out = threading.Event(), threading.Event()

    def first() -> None:
        with parallel.fewer_collections():
            first_in.set()
            second_out.wait(10)  # the second pass ends while this one still runs

    worker = threading.Thread(target=first)
    worker.start()
    first_in.wait(10)
    with parallel.fewer_collections():
        pass
    assert gc.get_threshold()[0] >= parallel.YOUNG_THRESHOLD  # the first pass is still under way
    second_out.set()
    worker.join(10)
    assert gc.get_threshold() == before
