"""The build-time budget: a cold run reads the metadata of at most --max-metadata tags per
registry, an image whose candidates are not all read stays (with a warning, not an error), and
later runs finish the rest from the cache - with the real registry behind a counting proxy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.registry


def scan(tree: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "automator", "scan", str(tree), "--json", *args],
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=120)


def test_a_cold_run_stays_within_the_budget_and_later_runs_finish(local_registry, tmp_path):
    from registry_proxy import RegistryProxy

    for day in range(1, 7):
        local_registry.push("budget/app", f"build-{day}", created=f"2026-0{day}-01T00:00:00Z")
    with RegistryProxy(local_registry.url) as proxy:
        host = proxy.url.split("://", 1)[1]
        tree = tmp_path / "tree"
        tree.mkdir()
        (tree / "app.yaml").write_text(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\n  annotations:\n"
            "    automator.dev/policy: glob:build-*\nspec:\n  template:\n    spec:\n      containers:\n"
            f"        - name: app\n          image: {host}/budget/app:build-1\n")
        cache = ["--cache-dir", str(tmp_path / "cache"), "--max-metadata", "2"]
        reads = []
        for expected_left in (4, 2):
            before = proxy.count(r"/manifests/build-")
            done = scan(tree, *cache)
            reads.append(proxy.count(r"/manifests/build-") - before)
            assert done.returncode == 0, done.stderr  # waiting for metadata is not a failure
            assert json.loads(done.stdout)["updates"] == []  # never a choice from partial build times
            assert f"the metadata of {expected_left} of its tags is left for a later run" in done.stderr
        done = scan(tree, *cache)
        assert done.returncode == 0, done.stderr
        assert [(u["from"], u["to"]) for u in json.loads(done.stdout)["updates"]] == [("build-1", "build-6")]
        assert all(count <= 2 for count in reads)  # a run never reads more tags than its budget


def test_without_a_budget_problem_the_default_reads_everything_at_once(local_registry, tmp_path):
    for day in range(1, 4):
        local_registry.push("budget/small", f"b-{day}", created=f"2026-0{day}-01T00:00:00Z")
    tree = tmp_path / "tree"
    tree.mkdir()
    host = local_registry.url.split("://", 1)[1]
    (tree / "app.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\n  annotations:\n"
        "    automator.dev/policy: glob:b-*\nspec:\n  template:\n    spec:\n      containers:\n"
        f"        - name: app\n          image: {host}/budget/small:b-1\n")
    done = scan(tree, "--no-cache")
    assert done.returncode == 0, done.stderr
    assert [(u["from"], u["to"]) for u in json.loads(done.stdout)["updates"]] == [("b-1", "b-3")]


def test_a_budget_below_one_is_refused(tmp_path):
    done = scan(tmp_path, "--max-metadata", "0")
    assert done.returncode == 2 and "--max-metadata 0: must be at least 1" in done.stderr


def test_a_build_time_that_cannot_be_read_holds_the_image_with_an_error_never_a_downgrade(local_registry, tmp_path):
    """The running tag is the newest build, and its manifest answers 500 on every try: the
    build times that were read name an older build the newest. Choosing among them would move
    the image back, with exit 0 and no word; it stays, and the run says why (exit 1)."""
    from registry_proxy import RegistryProxy

    for month, tag in ((1, "1.0.0"), (2, "1.1.0"), (3, "1.2.0")):
        local_registry.push("unread/app", tag, created=f"2026-0{month}-01T00:00:00Z")
    with RegistryProxy(local_registry.url) as proxy:
        proxy.add_fault(r"/manifests/1\.2\.0", status=500, times=100)
        host = proxy.url.split("://", 1)[1]
        tree = tmp_path / "tree"
        tree.mkdir()
        (tree / "app.yaml").write_text(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\n  annotations:\n"
            "    automator.dev/policy: glob:1.*\nspec:\n  template:\n    spec:\n      containers:\n"
            f"        - name: app\n          image: {host}/unread/app:1.2.0\n")
        done = scan(tree, "--no-cache")
    assert done.returncode == 1, done.stderr
    document = json.loads(done.stdout)
    assert document["updates"] == []
    (error,) = [e["message"] for e in document["errors"]]
    assert "unread/app: stays at 1.2.0: the metadata of some of its tags could not be read" in error
    assert "HTTP 500" in error  # and why


def test_without_a_cache_a_spent_budget_says_no_later_run_gets_further(local_registry, tmp_path):
    """--no-cache keeps nothing a run read: promising that a later run reads the rest would
    leave the image where it is for ever, with exit 0. The run says so, as an error."""
    for day in range(1, 5):
        local_registry.push("budget/uncached", f"u-{day}", created=f"2026-0{day}-01T00:00:00Z")
    tree = tmp_path / "tree"
    tree.mkdir()
    host = local_registry.url.split("://", 1)[1]
    (tree / "app.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\n  annotations:\n"
        "    automator.dev/policy: glob:u-*\nspec:\n  template:\n    spec:\n      containers:\n"
        f"        - name: app\n          image: {host}/budget/uncached:u-1\n")
    done = scan(tree, "--no-cache", "--max-metadata", "2")
    assert done.returncode == 1, done.stderr
    document = json.loads(done.stdout)
    assert document["updates"] == []
    (error,) = [e["message"] for e in document["errors"]]
    assert "budget/uncached: stays at u-1" in error
    assert "without a cache nothing read carries over to a later run" in error
    assert "raise --max-metadata or enable the cache" in error
    assert "left for a later run" not in done.stderr
