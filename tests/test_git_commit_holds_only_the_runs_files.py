"""The run's commit holds the files the run changed and nothing else, however many there are.

A change the user stages in the checkout while a run works (it may wait for a slow fetch or
registry) stays staged, is not committed and is never pushed. A run of a thousand or more
updates, whose default commit message has a line per update, commits like a small one.
"""

from __future__ import annotations

import json
import os
import shutil
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
from automator.git.commit import commit_files
from automator.git.identity import DEFAULT_AUTHOR
from automator.git.workspace import Workspace
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


def edit_when_git_commit_starts(bin_dir: Path, edited: Path, line: str) -> None:
    """A ``git`` first on PATH that appends ``line`` to ``edited`` once, as the first ``git
    commit`` starts: a user saving the file just after the run staged it."""
    real = shutil.which("git")
    bin_dir.mkdir()
    wrapper = bin_dir / "git"
    wrapper.write_text(
        "#!/bin/sh\n"
        f'for arg in "$@"; do\n'
        f'  if [ "$arg" = commit ] && [ ! -e "{edited}.edited" ]; then\n'
        f'    touch "{edited}.edited"; echo "{line}" >> "{edited}"\n'
        "  fi\n"
        "done\n"
        f'exec "{real}" "$@"\n'
    )
    wrapper.chmod(0o755)


def test_an_edit_made_as_the_run_commits_is_neither_committed_nor_pushed_and_stays_in_the_tree(env_repo, tmp_path, monkeypatch):
    """The run commits the files as it staged them, not as the tree holds them a moment later:
    the user's edit stays in the checkout as an unstaged change, as it would have without the run."""
    bare, work = env_repo
    line = "# my edit, saved while the run was committing"
    edit_when_git_commit_starts(tmp_path / "bin", work / "apps" / "app.yaml", line)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")

    result = run_writer(work, {APP: ["1.0.0", "1.2.0"]}, "apps")

    assert result.pushed and result.files == ("apps/app.yaml",)
    pushed = show(bare, "apps/app.yaml")
    assert f"image: {APP}:1.2.0" in pushed
    assert line not in pushed, "the edit never reached the remote"
    assert line not in git(work, "show", "HEAD:apps/app.yaml")
    assert (work / "apps" / "app.yaml").read_text().endswith(line + "\n"), "the edit is still in the tree"
    assert git(work, "diff", "--name-only") == "apps/app.yaml", "the edit is an unstaged change"
    assert git(work, "diff", "--cached", "--name-only") == "", "nothing is staged"


def test_a_new_file_the_run_creates_is_committed_and_left_tracked_and_clean(env_repo, monkeypatch):
    """A file git did not know before (here written by the run itself) is committed like any
    other and afterwards tracked and unchanged in the checkout; a draft staged meanwhile stays staged."""
    bare, work = env_repo
    (work / "apps" / "new.yaml").write_text("kind: ConfigMap\n")
    stage_a_draft(work)()
    ws = Workspace.open(work)
    ws.use_identity(DEFAULT_AUTHOR)
    head = commit_files(ws, ["apps/new.yaml"], "Add apps/new.yaml\n", str(DEFAULT_AUTHOR), add_first=True)

    assert git(work, "show", "--name-only", "--format=", head).splitlines() == ["apps/new.yaml"]
    assert git(work, "status", "--porcelain", "--untracked-files=all") == "M  docs/notes.md"
    assert git(work, "log", "-1", "--format=%s") == "Add apps/new.yaml"


def test_a_merge_in_progress_is_not_ended_by_the_runs_commit(env_repo):
    """Git refuses a partial commit during a merge; so does the run's own-index commit, which
    would otherwise take the merge's second parent and end it with the merge's files uncommitted."""
    from automator.errors import GitError

    _, work = env_repo
    git(work, "checkout", "-q", "-b", "side")
    (work / "docs").mkdir(exist_ok=True)
    (work / "docs" / "side.md").write_text("side\n")
    git(work, "add", "-A")
    git(work, "commit", "-qm", "side")
    git(work, "checkout", "-q", "main")
    git(work, "merge", "--no-commit", "--no-ff", "-q", "side")
    head = git(work, "rev-parse", "HEAD")
    (work / "apps" / "new.yaml").write_text("kind: ConfigMap\n")
    ws = Workspace.open(work)
    ws.use_identity(DEFAULT_AUTHOR)

    with pytest.raises(GitError) as refused:
        commit_files(ws, ["apps/new.yaml"], "Add apps/new.yaml\n", str(DEFAULT_AUTHOR), add_first=True)

    assert "a merge is in progress" in refused.value.message
    assert git(work, "rev-parse", "HEAD") == head and (work / ".git" / "MERGE_HEAD").exists(), "the merge is as it was"
