"""Small helpers shared by the registry tests (not fixtures: plain functions)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from automator.context import Context
from automator.registry import RegistryTagSource, RetryPolicy

FAST_RETRY = RetryPolicy(attempts=3, backoff=0.01, max_wait=5.0, connect_timeout=2.0, read_timeout=2.0, timeout=5.0)


def docker_config(directory: Path, auths: dict[str, dict]) -> Context:
    """A Context whose DOCKER_CONFIG holds ``auths`` (host -> {"username", "password"} or raw)."""
    directory.mkdir(parents=True, exist_ok=True)
    entries = {}
    for host, entry in auths.items():
        if "username" in entry:
            raw = f"{entry['username']}:{entry['password']}".encode()
            entries[host] = {"auth": base64.b64encode(raw).decode()}
        else:
            entries[host] = entry
    (directory / "config.json").write_text(json.dumps({"auths": entries}))
    return Context({"DOCKER_CONFIG": str(directory), "HOME": str(directory)})


def make_source(ctx: Context | None = None, **options) -> RegistryTagSource:
    options.setdefault("retry", FAST_RETRY)
    return RegistryTagSource.from_options(ctx or Context({"HOME": "/nonexistent"}), **options)
