"""A rejected push plans again on the fresh tree before its replayed commit goes out.

While a run commits, someone else may push a commit that changes the policy of the very file
the run updated: automation turned off, the tag pinned. The run's commit still replays onto it
without a conflict (another line of the file), but the fresh tree no longer allows the update,
so the replay is dropped and the fresh tree's own plan (here: nothing) is what lands. A commit
upstream that leaves the plan as it was (an unrelated line of the same file) lets the replayed
commit go out as it is, without a second commit.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from git_helpers import (
    assert_clean,
    clone,
    commit_elsewhere,
    deployment,
    git,
    isolated_git,  # noqa: F401  (autouse fixture)
    make_remote,
    show,
)

from automator.context import Context
from automator.git import WriteOptions, write_updates
from automator.git.backoff import RetryPolicy
from automator.run import apply_plan, make_plan
from automator.tagfile import FileTagSource

APP = "registry.example/team/app"
FAST = RetryPolicy(max_attempts=10, max_seconds=30, base_delay=0.001, max_delay=0.01)
ORIGINAL = deployment("app", f"{APP}:1.0.0")


@pytest.fixture
def env_repo(tmp_path):
    bare = make_remote(tmp_path, {"apps/app.yaml": ORIGINAL, "README.md": "env\n"})
    return bare, clone(bare, tmp_path / "work")


def run_while_someone_pushes(work: Path, bare: Path, other: Path, new_text: str):
    """A run that finds ``apps/app.yaml`` changed to ``new_text`` upstream when it pushes."""
    source = FileTagSource.parse(json.dumps({APP: ["1.0.0", "1.0.7"]}), "tags.json")
    pending = [lambda: commit_elsewhere(bare, other, {"apps/app.yaml": new_text}, "Someone else's edit")]

    def apply(plan):
        while pending:
            pending.pop()()
        return apply_plan(work, plan)

    return write_updates(work / "apps", lambda: make_plan(work, source, scan_path=work / "apps"), apply,
                         WriteOptions(retry=FAST), ctx=Context())


@pytest.mark.parametrize(
    ("change", "new"),
    [
        ("automation turned off", ('fluxcd.io/automated: "true"', 'fluxcd.io/automated: "false"')),
        ("tag pinned", ("semver:>=1.0.0", "semver:1.0.0")),
    ],
)
def test_an_update_the_fresh_policy_no_longer_allows_is_not_pushed(env_repo, tmp_path, change, new):
    bare, work = env_repo
    theirs = ORIGINAL.replace(*new)
    assert theirs != ORIGINAL

    result = run_while_someone_pushes(work, bare, tmp_path / "other", theirs)

    assert show(bare, "apps/app.yaml") == theirs.rstrip("\n"), f"{change}: their file, untouched by the run"
    assert git(bare, "log", "-1", "--format=%s", "main") == "Someone else's edit"
    assert result.change is None and not result.plan.updates
    assert_clean(work)


def test_an_unrelated_edit_upstream_lets_the_replayed_commit_go_out_unchanged(env_repo, tmp_path):
    bare, work = env_repo
    theirs = ORIGINAL.replace("  name: app\n", "  name: app\n  labels:\n    team: platform\n", 1)

    result = run_while_someone_pushes(work, bare, tmp_path / "other", theirs)

    landed = show(bare, "apps/app.yaml")
    assert f"image: {APP}:1.0.7" in landed and "team: platform" in landed
    assert result.pushed and result.replans == 0 and result.change.attempts == 2
    assert git(bare, "log", "-1", "--format=%s", "main").startswith("Update 1 image in apps")
    assert_clean(work)
