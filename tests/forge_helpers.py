"""Real git repositories (a bare remote plus clones) and plans for the forge tests."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from automator.model import Plan
from automator.run import make_plan
from automator.tagfile import FileTagSource

PODINFO = "ghcr.io/acme/podinfo:6.5.0"
REDIS = "redis:7.2.3"
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: podinfo
  annotations:
    fluxcd.io/automated: "true"
    fluxcd.io/tag.app: semver:^6
    fluxcd.io/tag.cache: semver:^7
spec:
  template:
    spec:
      containers:
        - name: app
          image: {podinfo}
        - name: cache
          image: {redis}
"""


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)
    return done.stdout.strip()


@dataclass
class EnvRepo:
    """A bare remote ``origin`` with a ``main`` branch and a working clone of it."""

    bare: Path
    clone: Path

    def branch_exists(self, branch: str) -> bool:
        return bool(git(self.bare, "for-each-ref", f"refs/heads/{branch}"))

    def branches(self) -> list[str]:
        return git(self.bare, "for-each-ref", "--format=%(refname:short)", "refs/heads/").split()

    def sha(self, branch: str) -> str:
        return git(self.bare, "rev-parse", f"refs/heads/{branch}")

    def show(self, branch: str, path: str) -> str:
        return git(self.bare, "show", f"{branch}:{path}")

    def another_clone(self, where: Path) -> Path:
        git(where.parent, "clone", "--quiet", str(self.bare), str(where))
        _identity(where)
        return where

    def commit_on_main(self, path: str, text: str) -> None:
        """Someone else changes ``main``: commit in the clone and push."""
        git(self.clone, "pull", "--quiet", "--ff-only")
        (self.clone / path).write_text(text)
        git(self.clone, "commit", "--quiet", "-am", f"change {path}")
        git(self.clone, "push", "--quiet", "origin", "main")


def _identity(repo: Path) -> None:
    git(repo, "config", "user.name", "Test")
    git(repo, "config", "user.email", "test@example.invalid")


def make_env_repo(tmp_path: Path, files: dict[str, str]) -> EnvRepo:
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(bare))
    clone = tmp_path / "checkout"
    git(tmp_path, "clone", "--quiet", str(bare), str(clone))
    _identity(clone)
    git(clone, "checkout", "--quiet", "-B", "main")
    for path, text in files.items():
        (clone / path).parent.mkdir(parents=True, exist_ok=True)
        (clone / path).write_text(text)
    git(clone, "add", "--all")
    git(clone, "commit", "--quiet", "-m", "initial")
    git(clone, "push", "--quiet", "origin", "main")
    return EnvRepo(bare=bare, clone=clone)


def deployment(podinfo: str = PODINFO, redis: str = REDIS) -> str:
    return DEPLOYMENT.format(podinfo=podinfo, redis=redis)


def plan_for(root: Path, tags: dict[str, list[str]], scan: str = "clusters/prod") -> Plan:
    """The real pipeline's plan for the checkout at ``root`` with the registry pinned to ``tags``."""
    source = FileTagSource.parse(json.dumps(tags), "tags.json")
    return make_plan(root, source, scan_path=root / scan)


def tags(podinfo: str = "6.5.0", redis: str = "7.2.3") -> dict[str, list[str]]:
    """A registry where the newest tags are ``podinfo`` and ``redis``."""
    return {"ghcr.io/acme/podinfo": ["6.4.0", "6.5.0", podinfo], "redis": ["7.0.0", "7.2.3", redis]}


def isolate_git(home: Path, monkeypatch, token: str) -> None:
    """No user or system git configuration and no token in the environment but ``token``
    (as GITHUB_TOKEN): what the tests see is what they set up."""
    (home / ".gitconfig").write_text("")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in ("GIT_TOKEN", "GH_TOKEN", "GITLAB_TOKEN", "CI_JOB_TOKEN", "GIT_CONFIG_COUNT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GITHUB_TOKEN", token)


def as_github_clone(env: EnvRepo) -> None:
    """The clone names its remote like a real GitHub clone; git is sent to the bare repository."""
    git(env.clone, "remote", "set-url", "origin", "https://github.com/acme/env.git")
    git(env.clone, "config", f"url.{env.bare}.insteadOf", "https://github.com/acme/env.git")
    git(env.clone, "fetch", "--quiet", "origin")
    git(env.clone, "branch", "--quiet", "--set-upstream-to=origin/main", "main")


@contextmanager
def fake_github(env: EnvRepo, token: str) -> Iterator:
    """A strict fake GitHub for acme/env that ``token`` may write to, whose branches are the
    bare repository's; a request for a route it does not know fails the test."""
    from forge_fake_github import FakeGitHub

    fake = FakeGitHub("acme/env", tokens={token: "write"}, branch_exists=env.branch_exists)
    try:
        yield fake
    finally:
        fake.close()
    assert fake.unexpected == []
