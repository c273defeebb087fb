"""What a promotion takes from upstream: the tag and digest that run there, since when they
run on the branch, in every image format the tool reads, and the soak time that rules set."""

import os
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from automator.rules import RulesRuntime
from automator.rules.write import write_reason
from automator.run import make_plan
from automator.tagfile import FileTagSource

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)  # a Monday
AAA, BBB, CCC = ("sha256:" + c * 64 for c in "abc")

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
  annotations:
{annotations}
spec:
  template:
    spec:
      containers:
        - name: app
          image: ghcr.io/acme/app:{tag}
"""

FOLLOWS = {"automator.dev/follow.app": "staging/app.yaml"}


def deployment(tag: str, **annotations: str) -> str:
    lines = "\n".join(f"    {k}: {v!r}" for k, v in annotations.items()) or "    note: none"
    return DEPLOYMENT.format(annotations=lines, tag=tag)


def git(repo: Path, *args: str, when: datetime | None = None) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    if when is not None:
        env["GIT_COMMITTER_DATE"] = env["GIT_AUTHOR_DATE"] = when.isoformat()
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout.strip()


def commit(repo: Path, files: dict[str, str], when: datetime, message: str = "change") -> str:
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message, when=when)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path):
    path = tmp_path / "envs"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    return path


def tag_source(tmp_path: Path, text: str = 'ghcr.io/acme/app: ["1.0.0", "1.0.1", "1.1.0", "2.0.0"]\n') -> FileTagSource:
    tags = tmp_path / "tags.yaml"
    tags.write_text(text)
    return FileTagSource.load(tags)


def plan_at(repo: Path, source: FileTagSource, when: datetime):
    rules = RulesRuntime.load(repo, scan_path=repo / "production", clock=lambda: when)
    return rules, make_plan(repo, source, scan_path=repo / "production", rules=rules)


def test_the_soak_time_counts_from_the_merge_that_brought_the_tag_to_the_branch(repo, tmp_path):
    commit(repo, {"staging/app.yaml": deployment("1.0.0"), "production/app.yaml": deployment("1.0.0", **FOLLOWS)}, T0)
    git(repo, "checkout", "-q", "-b", "feature")
    commit(repo, {"staging/app.yaml": deployment("1.1.0")}, T0 + timedelta(hours=1), "staging 1.1.0 on a branch")
    git(repo, "checkout", "-q", "main")
    commit(repo, {"README.md": "other work\n"}, T0 + timedelta(hours=1))
    git(repo, "merge", "-q", "--no-ff", "-m", "merge the branch", "feature", when=T0 + timedelta(days=3))
    merge = git(repo, "rev-parse", "HEAD")

    rules, plan = plan_at(repo, tag_source(tmp_path), T0 + timedelta(days=3, hours=2))

    assert plan.updates == ()
    (_use, selection), = rules.decisions
    assert f"1.1.0 runs in staging/app.yaml since {merge[:12]} (2h ago); soak time 1d not reached" in selection.reason


@pytest.mark.parametrize(
    ("rules_file", "annotations"),
    [("rules:\n  - soak: 0s\n", FOLLOWS), ("", {**FOLLOWS, "automator.dev/soak": "0s"})],
    ids=["rule", "annotation"],
)
def test_a_soak_time_of_zero_promotes_at_once(repo, tmp_path, rules_file, annotations):
    commit(repo, {"staging/app.yaml": deployment("1.0.0"), "production/app.yaml": deployment("1.0.0", **annotations),
                  ".automator.yaml": rules_file}, T0)
    commit(repo, {"staging/app.yaml": deployment("1.1.0")}, T0 + timedelta(hours=1))

    _rules, plan = plan_at(repo, tag_source(tmp_path), T0 + timedelta(hours=1))

    assert [(u.from_tag, u.to_tag) for u in plan.updates] == [("1.0.0", "1.1.0")]
    assert "soak 0s" in plan.updates[0].reason


SOAK_BY_SIZE = """\
rules:
  - match: {paths: production/**}
    follow: staging/{name}
    soak: 1d
  - match: {change: patch}
    soak: 1h
"""


@pytest.mark.parametrize(("upstream", "promoted"), [("1.0.1", True), ("1.1.0", False)])
def test_a_soak_time_set_for_a_change_size_applies_to_promotions_of_that_size(repo, tmp_path, upstream, promoted):
    commit(repo, {"staging/app.yaml": deployment("1.0.0"), "production/app.yaml": deployment("1.0.0"),
                  ".automator.yaml": SOAK_BY_SIZE}, T0)
    commit(repo, {"staging/app.yaml": deployment(upstream)}, T0 + timedelta(hours=1))

    _rules, plan = plan_at(repo, tag_source(tmp_path), T0 + timedelta(hours=3))

    assert [u.to_tag for u in plan.updates] == ([upstream] if promoted else [])


DIGESTS = f"""\
ghcr.io/acme/app:
  - {{tag: 1.4.0, digest: "{CCC}"}}
  - {{tag: 1.5.0, digest: "{BBB}"}}
  - {{tag: 2.0.0, digest: "{CCC}"}}
"""


def test_a_promotion_writes_the_digest_that_runs_upstream_not_the_registrys(repo, tmp_path):
    commit(repo, {"staging/app.yaml": deployment(f"1.5.0@{AAA}"),
                  "production/app.yaml": deployment(f"1.4.0@{CCC}", **FOLLOWS)}, T0)

    rules, plan = plan_at(repo, tag_source(tmp_path, DIGESTS), T0 + timedelta(days=2))

    (update,) = plan.updates
    assert update.new_text == f"ghcr.io/acme/app:1.5.0@{AAA}"
    assert rules.write_settings(repo, update).mode == "pr"


def test_a_followed_digest_is_not_refreshed_from_the_registry(repo, tmp_path):
    commit(repo, {"staging/app.yaml": deployment(f"1.5.0@{AAA}"),
                  "production/app.yaml": deployment(f"1.5.0@{AAA}", **FOLLOWS)}, T0)

    _rules, plan = plan_at(repo, tag_source(tmp_path, DIGESTS), T0 + timedelta(days=2))

    assert plan.updates == () and plan.problems == ()


def test_a_new_digest_of_the_same_tag_upstream_is_promoted_after_its_soak_time_through_a_pull_request(repo, tmp_path):
    commit(repo, {"staging/app.yaml": deployment(f"1.5.0@{AAA}"),
                  "production/app.yaml": deployment(f"1.5.0@{AAA}", **FOLLOWS)}, T0)
    commit(repo, {"staging/app.yaml": deployment(f"1.5.0@{BBB}")}, T0 + timedelta(days=2), "staging: 1.5.0 pushed again")
    source = tag_source(tmp_path, DIGESTS)

    rules, early = plan_at(repo, source, T0 + timedelta(days=2, hours=1))
    assert early.updates == ()
    assert "1.5.0@sha256:bbbbbbbbbbbb runs in staging/app.yaml" in rules.decisions[0][1].reason
    assert "soak time 1d not reached" in rules.decisions[0][1].reason

    rules, due = plan_at(repo, source, T0 + timedelta(days=3, hours=1))
    (update,) = due.updates
    assert update.new_text == f"ghcr.io/acme/app:1.5.0@{BBB}"
    assert rules.write_settings(repo, update).mode == "pr"
    assert write_reason(rules, repo, update) == (
        "promoted from staging/app.yaml: promotions go to a pull request unless a rule says write: commit")


def test_a_digest_rule_for_a_change_size_pins_only_moves_of_that_size(repo, tmp_path):
    rules_file = ("rules:\n  - match: {paths: production/**}\n    policy: 'semver:>=1'\n"
                  "  - match: {change: major}\n    digest: true\n")
    commit(repo, {"production/app.yaml": deployment("1.4.0"), ".automator.yaml": rules_file}, T0)

    _rules, plan = plan_at(repo, tag_source(tmp_path, DIGESTS), T0)

    assert [u.new_text for u in plan.updates] == [f"ghcr.io/acme/app:2.0.0@{CCC}"]


HELM_RELEASE = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: app
  annotations:
{annotations}
spec:
  values:
    worker:
      image: ghcr.io/acme/app
      tag: {tag}
"""
FLUX_V1 = {"fluxcd.io/automated": "true", "fluxcd.io/tag.worker": "semver:~1"}
NATIVE = {"automator.dev/policy": "semver:^1", "automator.dev/repository.worker": "worker.image",
          "automator.dev/tag.worker": "worker.tag"}


def helm_release(tag: str, **annotations: str) -> str:
    lines = "\n".join(f"    {k}: {v!r}" for k, v in annotations.items())
    return HELM_RELEASE.format(annotations=lines, tag=tag)


@pytest.mark.parametrize("dialect", [FLUX_V1, NATIVE], ids=["fluxv1", "native"])
def test_an_upstream_written_as_separate_repository_and_tag_keys_is_read(repo, tmp_path, dialect):
    follows = {**dialect, "automator.dev/follow.worker": "staging/app.yaml"}
    commit(repo, {"staging/app.yaml": helm_release("1.0.0", **dialect),
                  "production/app.yaml": helm_release("1.0.0", **follows)}, T0)
    commit(repo, {"staging/app.yaml": helm_release("1.1.0", **dialect)}, T0 + timedelta(hours=1))

    _rules, plan = plan_at(repo, tag_source(tmp_path), T0 + timedelta(days=2))

    assert [(u.use.container, u.from_tag, u.to_tag) for u in plan.updates] == [("worker", "1.0.0", "1.1.0")]
