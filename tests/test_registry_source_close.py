"""A closed registry source leaves no thread behind: `run --every` and `serve` run the tool
again and again in one process, and each run's threads and sockets would pile up until every
attempt failed with "Too many open files"."""

from __future__ import annotations

import threading
import time

import pytest

from automator.context import Context
from automator.registry import RegistryTagSource

pytestmark = pytest.mark.registry


def registry_threads(besides: set[threading.Thread]) -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("registry-") and t not in besides]


def ended(besides: set[threading.Thread], seconds: float = 10.0) -> bool:
    """Whether the registry threads started since ``besides`` ended within ``seconds`` (they
    end on their own, promptly; other tests' sources are not this test's business)."""
    deadline = time.monotonic() + seconds
    while registry_threads(besides) and time.monotonic() < deadline:
        time.sleep(0.01)
    return not registry_threads(besides)


def test_each_runs_threads_end_when_its_source_is_closed(local_registry):
    local_registry.push("close/app", "1.0.0")
    repository = f"{local_registry.host}/close/app"
    for _ in range(3):
        before = set(threading.enumerate())
        source = RegistryTagSource(Context({"HOME": "/nonexistent"}), concurrency=4)
        assert [t.tag for t in source.list_tags([repository])[repository]] == ["1.0.0"]
        assert "registry-watchdog" in registry_threads(before)
        source.close()
        assert ended(before), registry_threads(before)


def test_a_run_closes_its_registries_when_it_ends(local_registry, tmp_path, monkeypatch):
    """`run --every` and `serve` call one run after another in one process."""
    from forge_helpers import make_env_repo

    from automator.cli import main

    local_registry.push("close/web", "1.0.0")
    local_registry.push("close/web", "1.1.0")
    manifest = ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  annotations:\n    automator.dev/policy: semver:^1\n"
                f"spec:\n  containers:\n    - name: web\n      image: {local_registry.host}/close/web:1.0.0\n")
    env = make_env_repo(tmp_path, {"apps/web.yaml": manifest})
    monkeypatch.setenv("HOME", str(tmp_path))
    for _ in range(2):
        before = set(threading.enumerate())
        assert main(["run", str(env.clone / "apps"), "--dry-run", "--no-cache"]) == 0
        assert ended(before), registry_threads(before)
