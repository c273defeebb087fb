"""Real git repositories for the git tests: bare remotes, clones, env-repo files, the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
SETUP_IDENTITY = ["-c", "user.name=Platform Team", "-c", "user.email=platform@example.com"]


@pytest.fixture(autouse=True)
def isolated_git(tmp_path_factory, monkeypatch):
    """No global or system git config (no identity, no signing) leaks into a test."""
    home = tmp_path_factory.mktemp("home")
    (home / ".gitconfig").write_text("")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in ("GIT_TOKEN", "GITHUB_TOKEN", "GH_TOKEN", "GITLAB_TOKEN", "CI_JOB_TOKEN", "GIT_CONFIG_COUNT"):
        monkeypatch.delenv(name, raising=False)


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *SETUP_IDENTITY, *args], cwd=cwd, capture_output=True, text=True)
    if done.returncode:
        raise AssertionError(f"git {' '.join(args)} failed: {done.stderr}")
    return done.stdout.strip()


def deployment(name: str, image: str, *, automated: bool = True) -> str:
    annotations = '    fluxcd.io/automated: "true"\n' if automated else '    team: platform\n'
    return (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n"
        f"  name: {name}\n  annotations:\n{annotations}"
        f"    fluxcd.io/tag.{name}: semver:>=1.0.0\n"
        "spec:\n  template:\n    spec:\n      containers:\n"
        f"        - name: {name}\n          image: {image}\n"
    )


def make_remote(tmp: Path, files: dict[str, str], *, branches: tuple[str, ...] = ()) -> Path:
    """A bare remote on ``main`` (plus ``branches`` at the same commit) holding ``files``."""
    bare = tmp / "remote.git"
    subprocess.run(["git", "init", "--quiet", "--bare", "-b", "main", str(bare)], check=True)
    seed = tmp / "seed"
    subprocess.run(["git", "init", "--quiet", "-b", "main", str(seed)], check=True)
    write_files(seed, files)
    git(seed, "add", "-A")
    git(seed, "commit", "--quiet", "-m", "Environment repository")
    git(seed, "push", "--quiet", str(bare), "main", *branches and [f"main:{b}" for b in branches])
    return bare


def write_files(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def clone(bare: Path, dest: Path, *args: str) -> Path:
    subprocess.run(["git", "clone", "--quiet", *args, str(bare), str(dest)], check=True)
    return dest


def commit_elsewhere(bare: Path, work: Path, files: dict[str, str], message: str) -> str:
    """Another writer: commit ``files`` in its own clone and push (retrying on races)."""
    if not work.exists():
        clone(bare, work)
    for _ in range(50):
        git(work, "pull", "--quiet", "--rebase")
        write_files(work, files)
        git(work, "add", "-A")
        git(work, "commit", "--quiet", "-m", message)
        done = subprocess.run(["git", "push", "--quiet"], cwd=work, capture_output=True, text=True)
        if done.returncode == 0:
            return git(work, "rev-parse", "HEAD")
        git(work, "reset", "--quiet", "--hard", "HEAD^")
    raise AssertionError("the other writer could not push")


def show(bare: Path, path: str, ref: str = "main") -> str:
    return git(bare, "show", f"{ref}:{path}")


def write_tags(path: Path, tags: dict[str, list[str]]) -> Path:
    path.write_text(json.dumps(tags))
    return path


def automator_command() -> list[str]:
    return [sys.executable, "-m", "automator"]


def run_automator(args: list[str], *, cwd: Path, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([*automator_command(), *args], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout)


def popen_automator(args: list[str], *, cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.Popen([*automator_command(), *args], cwd=cwd, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def assert_clean(checkout: Path, branch: str = "main") -> None:
    """Original branch, nothing uncommitted or untracked, no rebase in progress."""
    assert git(checkout, "status", "--porcelain", "--untracked-files=all") == ""
    assert git(checkout, "symbolic-ref", "--short", "HEAD") == branch
    git_dir = checkout / ".git"
    assert not (git_dir / "rebase-merge").exists() and not (git_dir / "rebase-apply").exists()
