"""The run's commit holds the files the run changed and nothing else, however many there are.

A change the user stages in the checkout while a run works (it may wait for a slow fetch or
registry) stays staged, is not committed and is never pushed. A run of a thousand or more
updates, whose default commit message has a line per update, commits like a small one.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from git_helpers import (
    clone,
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
FAST = RetryPolicy(max_attempts=10, max_seconds=60, base_delay=0.001, max_delay=0.01)


def run_writer(checkout: Path, tags: dict[str, list[str]], scan: str, *, meanwhile=None, **options):
    """``write_updates`` on ``checkout``; ``meanwhile()`` runs once while the run applies its plan."""
    source = FileTagSource.parse(json.dumps(tags), "tags.json")
    path = checkout / scan
    pending = [meanwhile] if meanwhile else []

    def apply(plan):
        while pending:
            pending.pop()()
        return apply_plan(checkout, plan)

    options.setdefault("retry", FAST)
    return write_updates(path, lambda: make_plan(checkout, source, scan_path=path), apply, WriteOptions(**options), ctx=Context())


@pytest.fixture
def env_repo(tmp_path):
    files = {"apps/app.yaml": deployment("app", f"{APP}:1.0.0"), "docs/notes.md": "base\n"}
    bare = make_remote(tmp_path, files)
    return bare, clone(bare, tmp_path / "work")


def stage_a_draft(work: Path):
    def stage():
        (work / "docs" / "notes.md").write_text("my half-done draft, secret=hunter2\n")
        git(work, "add", "docs/notes.md")

    return stage


@pytest.mark.parametrize("push", [True, False], ids=["pushing", "no-push"])
def test_a_change_the_user_stages_while_the_run_works_stays_staged_and_is_not_committed(env_repo, push):
    bare, work = env_repo
    result = run_writer(work, {APP: ["1.0.0", "1.2.0"]}, "apps/app.yaml", meanwhile=stage_a_draft(work), push=push)

    assert result.files == ("apps/app.yaml",)
    committed = git(work, "show", "--name-only", "--format=", result.change.commit).splitlines()
    assert committed == ["apps/app.yaml"], "the run's commit holds the run's file only"
    assert git(work, "status", "--porcelain", "--untracked-files=all") == "M  docs/notes.md", "the draft is still staged"
    assert git(work, "show", ":docs/notes.md") == "my half-done draft, secret=hunter2"
    if push:
        assert f"image: {APP}:1.2.0" in show(bare, "apps/app.yaml")
        assert show(bare, "docs/notes.md") == "base", "the draft never reached the remote"


def test_a_pre_commit_hook_still_runs_and_sees_only_the_runs_files(env_repo):
    _, work = env_repo
    seen = work.parent / "hook-saw"
    hook = work / ".git" / "hooks" / "pre-commit"
    hook.write_text(f"#!/bin/sh\ngit diff --cached --name-only > {seen}\n")
    hook.chmod(0o755)
    run_writer(work, {APP: ["1.2.0"]}, "apps", meanwhile=stage_a_draft(work))
    assert seen.read_text().split() == ["apps/app.yaml"]


def test_a_run_of_1300_updates_commits_its_long_default_message(tmp_path):
    """One line per update: some 140 KiB of message, more than one command-line argument may
    hold (128 KiB); the message reaches git whole, and every file is in the one commit."""
    count = 1300
    files = {f"clusters/production-eu-west/apps/service-{n:04d}.yaml": deployment("app", f"{APP}:1.0.0") for n in range(count)}
    bare = make_remote(tmp_path, files)
    work = clone(bare, tmp_path / "work")

    result = run_writer(work, {APP: ["1.0.0", "1.2.0"]}, "clusters")

    assert result.pushed and len(result.files) == count
    message = git(bare, "log", "-1", "--format=%B", "main")
    assert len(message.encode()) > 128 * 1024
    assert message.splitlines()[0].startswith(f"Update {count} images in clusters")
    assert sum(line.startswith("- clusters/") for line in message.splitlines()) == count
    assert git(bare, "diff-tree", "--no-commit-id", "--name-only", "-r", "main").count("\n") + 1 == count
