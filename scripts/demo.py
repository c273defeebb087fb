"""`make demo`: the whole job, offline, on a fresh machine.

Starts the local distribution registry on 127.0.0.1, pushes a few tags, turns
``examples/env-repo`` into a git repository with a bare remote, runs ``automator run`` on it as
a CI job would, shows the resulting commit and diff, runs it again (nothing left to do) and
cleans up.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from local_registry import push_image, start_registry  # noqa: E402

EXAMPLE_HOST = "registry.example.com"
IMAGES = {  # repository -> [(tag, build time)], oldest first
    "acme/podinfo": [("6.5.0", "2024-03-01"), ("6.5.3", "2024-04-10"), ("6.6.0", "2024-05-02")],
    "acme/metrics-sidecar": [("0.3.1", "2024-02-01"), ("0.4.0", "2024-04-01"), ("1.0.0", "2024-06-01")],
    "acme/frontend": [("2.0.1", "2024-01-15"), ("2.3.0", "2024-04-20"), ("3.0.0", "2024-06-30")],
    "acme/worker": [("1.8.0", "2024-03-03"), ("1.9.0-rc.1", "2024-05-05")],
    "acme/report": [("1.2.0", "2024-02-02"), ("1.4.0", "2024-05-15"), ("2.0.0", "2024-07-01")],
    "acme/checkout": [("3.1.0", "2024-03-20"), ("3.2.1", "2024-05-21"), ("4.0.0", "2024-07-02")],
}


def step(text: str) -> None:
    print(f"\n\033[1m==> {text}\033[0m", flush=True)


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def make_env_repo(tmp: Path, registry_host: str) -> tuple[Path, Path]:
    seed = tmp / "seed"
    shutil.copytree(ROOT / "examples" / "env-repo", seed)
    for path in seed.rglob("*.yaml"):
        path.write_text(path.read_text().replace(EXAMPLE_HOST, registry_host))
    bare = tmp / "env-repo.git"
    git(tmp, "init", "--quiet", "--bare", "-b", "main", str(bare))
    git(seed, "init", "--quiet", "-b", "main")
    git(seed, "add", "-A")
    git(seed, "-c", "user.name=Platform Team", "-c", "user.email=platform@example.com", "commit", "--quiet", "-m", "Environments")
    git(seed, "push", "--quiet", str(bare), "main")
    work = tmp / "ci-checkout"
    git(tmp, "clone", "--quiet", str(bare), str(work))
    return bare, work


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="automator-demo-") as name:
        tmp = Path(name)
        (tmp / "gitconfig").write_text("")  # the demo ignores your global git config (signing etc.)
        env = {**os.environ, "GIT_CONFIG_GLOBAL": str(tmp / "gitconfig"), "GIT_CONFIG_NOSYSTEM": "1",
               "PYTHONPATH": str(ROOT), "AUTOMATOR_CACHE_DIR": str(tmp / "cache")}
        os.environ.update(env)
        step("starting the local distribution registry")
        with start_registry(tmp) as registry:
            for repository, tags in IMAGES.items():
                for tag, day in tags:
                    push_image(registry.url, repository, tag, created=f"{day}T12:00:00Z")
                print(f"  pushed {registry.host}/{repository}: {', '.join(t for t, _ in tags)}")
            step("creating the environment repository (examples/env-repo) with a bare remote")
            bare, work = make_env_repo(tmp, registry.host)
            print(git(work, "ls-files"), end="")
            command = [sys.executable, "-m", "automator", "run", "clusters"]
            step("$ automator run clusters      (in the CI checkout)")
            done = subprocess.run(command, cwd=work, env=env)
            if done.returncode not in (0, 1):
                return done.returncode
            step("the commit on the remote (git show main)")
            print(git(bare, "show", "--stat", "--format=fuller", "main"))
            print(git(bare, "show", "--format=", "main"))
            step("$ automator run clusters      (again: nothing left to do, no commit)")
            again = subprocess.run(command, cwd=work, env=env)
            print(f"\nremote history: {len(git(bare, 'rev-list', 'main').split())} commits, exit codes {done.returncode}, {again.returncode}")
        step("done: registry stopped, temporary files removed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
