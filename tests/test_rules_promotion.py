"""Promotion from staging to production on real git repositories, with a controlled clock."""

import json
import os
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from automator.cli import main
from automator.rules import RulesRuntime
from automator.rules.promotion import Revision, running_upstream, tags_in_text
from automator.run import apply_plan, make_plan
from automator.tagfile import FileTagSource

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)  # a Monday

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
          image: ghcr.io/acme/app:{tag}  # the app
"""


def deployment(tag, **annotations):
    lines = "\n".join(f"    {k}: {v!r}" for k, v in annotations.items()) or "    note: none"
    return DEPLOYMENT.format(annotations=lines, tag=tag)


def git(repo: Path, *args: str, when: datetime | None = None) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    if when is not None:
        env["GIT_COMMITTER_DATE"] = env["GIT_AUTHOR_DATE"] = when.isoformat()
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout.strip()


def commit(repo: Path, files: dict[str, str], message: str, when: datetime) -> str:
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message, when=when)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture
def envs(tmp_path):
    """staging runs 1.0.0 from T0 and 1.1.0 from T0+1h; production runs 1.0.0 and follows."""
    repo = tmp_path / "envs"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    production = deployment("1.0.0", **{"automator.dev/follow.app": "staging/app.yaml"})
    commit(repo, {"staging/app.yaml": deployment("1.0.0"), "production/app.yaml": production}, "start", T0)
    commit(repo, {"README.md": "unrelated\n"}, "docs", T0 + timedelta(minutes=30))
    sha = commit(repo, {"staging/app.yaml": deployment("1.1.0")}, "staging: app 1.1.0", T0 + timedelta(hours=1))
    tags = tmp_path / "tags.yaml"
    tags.write_text('ghcr.io/acme/app: ["1.0.0", "1.1.0", "1.2.0"]\n')
    return repo, sha, FileTagSource.load(tags)


def plan_at(repo, source, when, scan="production"):
    rules = RulesRuntime.load(repo, scan_path=repo / scan, clock=lambda: when)
    return rules, make_plan(repo, source, scan_path=repo / scan, rules=rules)


def test_production_takes_the_staging_tag_only_after_the_soak_time(envs):
    repo, sha, source = envs
    rules, early = plan_at(repo, source, T0 + timedelta(hours=20))
    assert early.updates == () and early.problems == ()
    (use, selection), = rules.decisions
    assert (use.file, selection.chosen) == ("production/app.yaml", "1.0.0")
    assert f"1.1.0 runs in staging/app.yaml since {sha[:12]} (19h ago); soak time 1d not reached" in selection.reason

    rules, due = plan_at(repo, source, T0 + timedelta(hours=25))
    (update,) = due.updates
    assert (update.use.file, update.from_tag, update.to_tag) == ("production/app.yaml", "1.0.0", "1.1.0")
    assert f"upstream commit {sha}" in update.reason
    assert rules.write_settings(repo, update).mode == "pr"
    assert apply_plan(repo, due) == ["production/app.yaml"]
    assert (repo / "production/app.yaml").read_text() == deployment(
        "1.1.0", **{"automator.dev/follow.app": "staging/app.yaml"})


def test_the_soak_time_can_be_set_per_workload(envs):
    repo, _sha, source = envs
    annotated = deployment("1.0.0", **{"automator.dev/follow.app": "staging/app.yaml", "automator.dev/soak": "6h"})
    commit(repo, {"production/app.yaml": annotated}, "soak 6h", T0 + timedelta(hours=2))
    _rules, plan = plan_at(repo, source, T0 + timedelta(hours=8))
    assert [u.to_tag for u in plan.updates] == ["1.1.0"]


def test_a_rule_can_say_follow_and_the_local_policy_guards_what_is_taken(envs, tmp_path):
    repo, _sha, source = envs
    guarded = deployment("1.0.0", **{"automator.dev/policy": "semver:~1.0"})
    commit(repo, {"production/app.yaml": guarded, ".automator.yaml": (
        "rules:\n  - match: {paths: production/**}\n    follow: {path: 'staging/{name}'}\n    soak: 2h\n"
    )}, "production follows by rule", T0 + timedelta(hours=2))
    rules, plan = plan_at(repo, source, T0 + timedelta(hours=5))
    assert plan.updates == ()
    (_use, selection), = rules.decisions
    assert "1.1.0 from staging/app.yaml is outside this image's policy" in selection.reason


PLAIN = DEPLOYMENT.replace("  annotations:\n{annotations}\n", "")  # no annotation at all


@pytest.mark.parametrize(
    ("follow", "promoted"),
    [("{path: 'staging/{name}'}", True), ("{path: 'staging/{name}', container: app}", True),
     ("{path: 'staging/{name}', container: sidecar}", False)],
)
def test_a_rule_that_follows_opts_in_workloads_without_any_annotation(envs, follow, promoted):
    repo, sha, source = envs
    commit(repo, {"production/app.yaml": PLAIN.format(tag="1.0.0"), ".automator.yaml": (
        f"rules:\n  - match: {{paths: production/**}}\n    follow: {follow}\n    soak: 2h\n"
    )}, "production follows by rule", T0 + timedelta(hours=2))
    _rules, plan = plan_at(repo, source, T0 + timedelta(hours=5))
    assert [u.to_tag for u in plan.updates] == (["1.1.0"] if promoted else [])
    if promoted:
        (update,) = plan.updates
        assert update.use.policy.spec == "alphabetical"  # any tag is admitted: the upstream decides
        assert (Path(update.use.policy.source), update.use.policy.line) == (repo / ".automator.yaml", 2)
        assert update.reason.startswith(f"promoted from staging/app.yaml: 1.1.0 runs in staging/app.yaml since {sha[:12]}")


def test_a_held_workload_is_not_promoted(envs):
    repo, _sha, source = envs
    held = deployment("1.0.0", **{"automator.dev/follow.app": "staging/app.yaml", "automator.dev/hold": "true"})
    commit(repo, {"production/app.yaml": held}, "hold production", T0 + timedelta(hours=2))
    rules, plan = plan_at(repo, source, T0 + timedelta(days=3))
    assert plan.updates == ()
    assert rules.decisions[0][1].excluded == (("1.1.0", "held by annotation automator.dev/hold"),)


def test_never_promote_a_downgrade(envs):
    repo, _sha, source = envs
    ahead = deployment("1.2.0", **{"automator.dev/follow.app": "staging/app.yaml"})
    commit(repo, {"production/app.yaml": ahead}, "hotfix in production", T0 + timedelta(hours=2))
    rules, plan = plan_at(repo, source, T0 + timedelta(days=3))
    assert plan.updates == ()
    assert "never downgrade" in rules.decisions[0][1].reason


def rev(sha, hours, text):
    return Revision(sha, T0 + timedelta(hours=hours), text)


@pytest.mark.parametrize(
    ("history", "tag", "commit"),
    [
        ([rev("c", 3, deployment("1.1.0")), rev("b", 2, deployment("1.1.0")), rev("a", 1, deployment("1.0.0"))], "1.1.0", "b"),
        ([rev("b", 2, deployment("1.1.0")), rev("a", 1, deployment("1.1.0"))], "1.1.0", "a"),
        ([rev("c", 3, deployment("1.1.0")), rev("b", 2, "not: [yaml"), rev("a", 1, deployment("1.1.0"))], "1.1.0", "c"),
        ([rev("a", 1, "kind: ConfigMap\n")], None, None),
        ([rev("b", 2, deployment("1.1.0")), Revision("a", T0, deployment("1.1.0"), shallow=True)], "1.1.0", "a"),
        ([], None, None),
    ],
)
def test_the_introducing_commit_is_the_oldest_of_the_unbroken_run(history, tag, commit):
    found = running_upstream("staging/app.yaml", history, "ghcr.io/acme/app")
    assert (found.tag, found.commit) == (tag, commit) if tag else found is None
    if found is not None:
        assert found.known is not any(r.shallow for r in history)


def test_tags_are_read_from_image_fields_of_every_shape():
    text = deployment("1.1.0") + "---\nimages:\n  - name: ghcr.io/acme/app\n    newTag: 1.2.0\n"
    assert tags_in_text(text, "ghcr.io/acme/app") == {"1.1.0", "1.2.0"}
    assert tags_in_text(text, "ghcr.io/acme/app", container="app") == {"1.1.0", "1.2.0"}
    assert tags_in_text(deployment("1.1.0"), "ghcr.io/acme/other") == set()


TWO_CONTAINERS = deployment("1.1.0") + "        - name: sidecar\n          image: ghcr.io/acme/app:0.9.0\n"


@pytest.mark.parametrize(
    ("text", "container", "tags"),
    [
        (deployment("1.1.0"), "app", {"1.1.0"}),
        (deployment("1.1.0"), "web", {"1.1.0"}),  # one upstream container: its name does not matter
        (TWO_CONTAINERS, "sidecar", {"0.9.0"}),  # several: the container of the same name
        (TWO_CONTAINERS, "app", {"1.1.0"}),
        (TWO_CONTAINERS, "web", {"1.1.0", "0.9.0"}),  # several, none of that name: no single tag
    ],
)
def test_the_upstream_container_is_the_one_of_the_same_name_when_there_are_several(text, container, tags):
    assert tags_in_text(text, "ghcr.io/acme/app", container=container) == tags


def test_a_shallow_history_cannot_prove_the_soak_time(envs, tmp_path):
    repo, _sha, source = envs
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo}", str(shallow))
    rules, plan = plan_at(shallow, source, T0 + timedelta(days=30))
    assert plan.updates == ()
    assert "the history of staging/app.yaml is shallow" in rules.decisions[0][1].reason


def test_a_clone_made_by_run_repo_fetches_the_history_a_promotion_needs(envs, tmp_path, capsys):
    repo, _sha, _source = envs
    remote = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(repo), str(remote))
    tags = tmp_path / "tags.yaml"
    # the promotion is committed: a pull request needs a forge, which a file:// remote is not
    rules = tmp_path / "rules.yaml"
    rules.write_text("version: 1\nrules:\n  - write: commit\n")
    code = main(["run", "production", "--repo", f"file://{remote}", "--tags-from", str(tags), "--rules", str(rules), "--dry-run", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert [(u["file"], u["from"], u["to"]) for u in report["updates"]] == [("production/app.yaml", "1.0.0", "1.1.0")]
