"""Real git repositories (a bare remote plus clones) and plans for the forge tests."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from automator.imageref import parse_image_ref
from automator.model import ImageUse, Plan, PolicySpec, Span, Update

PODINFO = "ghcr.io/acme/podinfo:6.5.0"
REDIS = "docker.io/library/redis:7.2.3"
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: podinfo
spec:
  template:
    spec:
      containers:
        - name: app
          image: {podinfo}  # automator.dev/policy: semver:^6
        - name: cache
          image: {redis}  # automator.dev/policy: semver:^7
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


def update(root: Path, file: str, reference: str, to_tag: str, policy: str = "semver:^6") -> Update:
    """The update of ``reference`` (as written in ``file``) to ``to_tag``."""
    text = (root / file).read_text()
    start = text.index(reference)
    ref = parse_image_ref(reference)
    use = ImageUse(
        file=file,
        line=text[:start].count("\n") + 1,
        span=Span(start, start + len(reference)),
        field="image",
        image=ref,
        container="app",
        policy=PolicySpec(policy),
        dialect="native",
    )
    return Update(use, ref.tag or "", to_tag, ref.with_tag(to_tag), f"{to_tag} is the highest tag matching {policy}")


def plan_of(*updates: Update) -> Plan:
    return Plan(updates=tuple(updates))


def splice(root: Path, plan: Plan) -> list[str]:
    """Write the plan's new texts at their spans (last span first), checking the old text.

    Stands in for the manifest stage's ``apply_plan``, which is not on this branch yet.
    """
    changed = []
    for file in plan.files:
        path = root / file
        text = path.read_text()
        for u in sorted((u for u in plan.updates if u.use.file == file), key=lambda u: u.use.span.start, reverse=True):
            old = text[u.use.span.start : u.use.span.end]
            assert old == u.use.image.written, f"{file}: expected {u.use.image.written!r} at the span, found {old!r}"
            text = text[: u.use.span.start] + u.new_text + text[u.use.span.end :]
        path.write_text(text)
        changed.append(file)
    return changed
