"""Cache keys for ``action.yml``: run by the runner's ``python3`` from the action's checkout
before anything is installed (``PYTHONPATH=$GITHUB_ACTION_PATH python3 -m
automator.ci.cache_keys``), so it imports nothing outside the standard library and
:mod:`automator.context`.

* The virtual environment is keyed on the runner (OS, architecture), the exact Python, the
  action's ref, the lock file and the package source: any change of what would be installed
  gives a new key, and a hit needs no ``pip`` at all.
* The registry cache is keyed per environment path (per fleet file and shard for a fleet)
  with the run id at the end. A saved cache
  key cannot be overwritten, so every run saves under a new key and restores the newest one
  with the same prefix (``restore-keys``); the cache's own TTLs still decide what is fresh.
"""

from __future__ import annotations

import hashlib
import platform
import sys
from collections.abc import Mapping
from pathlib import Path

from automator.context import Context

VERSION = "v1"  # bump to drop every saved cache at once


def digest(*parts: str | bytes, length: int = 16) -> str:
    sha = hashlib.sha256()
    for part in parts:
        sha.update(part if isinstance(part, bytes) else part.encode())
        sha.update(b"\0")
    return sha.hexdigest()[:length]


def source_digest(action_path: Path) -> str:
    """One hash over the lock file, pyproject.toml and every module of the package."""
    files = [action_path / "requirements.lock", action_path / "pyproject.toml"]
    files += sorted((action_path / "automator").rglob("*.py"))
    parts: list[str | bytes] = []
    for path in files:
        parts.append(path.relative_to(action_path).as_posix())
        parts.append(path.read_bytes() if path.is_file() else b"(missing)")
    return digest(*parts)


def cache_keys(environ: Mapping[str, str], *, python: str = sys.version, machine: str = platform.machine()) -> dict[str, str]:
    action_path = Path(environ["GITHUB_ACTION_PATH"])
    temp = Path(environ.get("RUNNER_TEMP") or "/tmp")
    runner = f"{environ.get('RUNNER_OS', 'unknown')}-{environ.get('RUNNER_ARCH') or machine}"
    ref = environ.get("ACTION_REF", "") or "local"
    path = environ.get("ENV_PATH", "").strip() or "."
    repo = environ.get("ENV_REPO", "").strip()
    # a fleet's shards (matrix jobs of one run) each keep their own: one key cannot be saved twice
    fleet = (environ.get("ENV_FLEET", "").strip(), environ.get("ENV_SHARD", "").strip())
    scope = (repo, path, *fleet) if any(fleet) else (repo, path)  # one path's keys as they always were
    prefix = f"automator-registry-{VERSION}-{runner}-{digest(*scope, length=12)}-"
    run = f"{environ.get('GITHUB_RUN_ID', '0')}-{environ.get('GITHUB_RUN_ATTEMPT', '1')}"
    return {
        "venv-path": str(temp / "automator-venv"),
        "venv-key": f"automator-venv-{VERSION}-{runner}-py{digest(python, length=12)}-{_safe(ref)}-{source_digest(action_path)}",
        "registry-cache-path": str(temp / "automator-registry-cache"),
        "registry-cache-key": prefix + run,
        "registry-cache-prefix": prefix,
    }


def _safe(text: str) -> str:
    """A ref as a readable key part (branch names may hold '/')."""
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in text)[:64]


def main(environ: Mapping[str, str] | None = None) -> int:
    environ = Context.from_environ(environ).environ
    keys = cache_keys(environ)
    Path(keys["registry-cache-path"]).mkdir(parents=True, exist_ok=True)
    with open(environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as outputs:
        outputs.writelines(f"{name}={value}\n" for name, value in keys.items())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
