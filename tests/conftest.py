"""Shared test set-up: makes ``scripts/`` importable (local registry launcher, fixtures)."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))


# --- the real distribution registry on loopback (scripts/local_registry.py) --------------------

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def local_registry(tmp_path_factory):
    """An anonymous distribution registry on 127.0.0.1 with fresh storage, for the whole session.

    Push with ``local_registry.push("team/app", "1.0.0", created=...)``; use repository names
    unique to your test, as the registry is shared.
    """
    from local_registry import start_registry

    registry = start_registry(tmp_path_factory.mktemp("registry"))
    yield registry
    registry.stop()


# --- a real redis-server on loopback (scripts/local_redis.py) ----------------------------------


@pytest.fixture
def redis_server(tmp_path):
    """A fresh redis-server on 127.0.0.1 for one test (skipped, saying why, without the binary)."""
    from local_redis import REDIS_BINARY, available, start_redis

    if not available():
        pytest.skip(f"redis-server not found at {REDIS_BINARY}: `make test` installs it (scripts/install-redis.sh)")
    server = start_redis(tmp_path / "redis")
    yield server
    server.stop()
