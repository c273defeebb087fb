"""What a run checks before it starts: a checkout it can lock, and no uncommitted change of yours.

The files a run writes into the checkout itself (its report files, its health file, its
registry cache: ``WriteOptions.own_files``) are not changes of yours: a looping run is not
refused by the report its first attempt wrote. An untracked directory of yours is named as
``dir/``, not file by file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from git_helpers import (
    clone,
    deployment,
    git,
    isolated_git,  # noqa: F401  (autouse fixture)
    make_remote,
    run_automator,
    show,
    write_tags,
)

from automator.context import Context
from automator.errors import UsageError
from automator.git import WriteOptions, write_updates
from automator.git.backoff import RetryPolicy
from automator.run import apply_plan, make_plan
from automator.tagfile import FileTagSource

APP = "registry.example/team/app"
FAST = RetryPolicy(max_attempts=10, max_seconds=30, base_delay=0.001, max_delay=0.01)


@pytest.fixture
def env_repo(tmp_path):
    bare = make_remote(tmp_path, {"apps/app.yaml": deployment("app", f"{APP}:1.0.0")})
    return bare, clone(bare, tmp_path / "work")


def run_writer(work: Path, tag: str, **options):
    source = FileTagSource.parse(json.dumps({APP: ["1.0.0", tag]}), "tags.json")
    options.setdefault("retry", FAST)
    return write_updates(work, lambda: make_plan(work, source, scan_path=work), lambda plan: apply_plan(work, plan),
                         WriteOptions(**options), ctx=Context())


def own_outputs(work: Path) -> tuple[Path, ...]:
    """What a run of ``automator run . --markdown automator-report.md --health-file health
    --cache-dir .cache/automator`` writes into the checkout, as its first attempt left it."""
    (work / "automator-report.md").write_text("# 1 image updated\n")
    (work / "health").write_text("{}\n")
    (work / ".cache" / "automator" / "tags").mkdir(parents=True)
    (work / ".cache" / "automator" / "tags" / "0a1b.json").write_text("{}\n")
    return (work / "automator-report.md", work / "health", work / ".cache" / "automator")


@pytest.mark.parametrize("push", [True, False], ids=["pushing", "no-push"])
def test_the_runs_own_report_health_file_and_cache_are_not_uncommitted_changes(env_repo, push):
    bare, work = env_repo
    own = own_outputs(work)

    result = run_writer(work, "1.2.0", push=push, own_files=own)

    assert result.files == ("apps/app.yaml",)
    assert git(work, "show", "--name-only", "--format=", "HEAD").splitlines() == ["apps/app.yaml"]
    assert sorted(git(work, "status", "--porcelain", "--untracked-files=all").splitlines()) == [
        "?? .cache/automator/tags/0a1b.json", "?? automator-report.md", "?? health",
    ], "left where they are, uncommitted"
    if push:
        assert f"{APP}:1.2.0" in show(bare, "apps/app.yaml")


def test_a_file_of_yours_beside_the_runs_own_is_still_refused(env_repo):
    _, work = env_repo
    own = own_outputs(work)
    (work / ".cache" / "mine.txt").write_text("notes\n")
    with pytest.raises(UsageError) as raised:
        run_writer(work, "1.2.0", own_files=own)
    assert raised.value.message.endswith(": .cache/"), "named as the directory that holds it"


def test_an_untracked_directory_in_the_path_is_named_as_a_directory(env_repo):
    _, work = env_repo
    for n in range(3):
        (work / "drafts" / f"d{n}.yaml").parent.mkdir(exist_ok=True)
        (work / "drafts" / f"d{n}.yaml").write_text("x: 1\n")
    with pytest.raises(UsageError) as raised:
        run_writer(work, "1.2.0")
    assert raised.value.message == f"uncommitted changes in . of {work.resolve()}: drafts/"


def test_a_checkout_whose_lock_cannot_be_made_is_a_usage_error_naming_the_lock(env_repo, tmp_path):
    """A read-only checkout (or one whose .git is not writable) cannot hold the run lock: the
    run says so (exit 2) instead of crashing. As root, whom no permission stops, a directory
    where the lock file goes stands in for the read-only file system."""
    _, work = env_repo
    git_dir = work / ".git"
    if os.geteuid() == 0:
        (git_dir / "automator.lock").mkdir()
    else:
        git_dir.chmod(0o555)
    tags = write_tags(tmp_path / "tags.json", {APP: ["1.2.0"]})
    try:
        done = run_automator(["run", "apps", "--tags-from", str(tags)], cwd=work)
    finally:
        git_dir.chmod(0o755)
    assert done.returncode == 2, done.stderr
    assert f"cannot lock {git_dir.resolve() / 'automator.lock'} (" in done.stderr
    assert "run needs a writable checkout" in done.stderr and "Traceback" not in done.stderr
    assert f"{APP}:1.0.0" in (work / "apps" / "app.yaml").read_text()


def test_a_second_run_is_not_refused_for_the_report_and_cache_the_first_one_wrote(env_repo, tmp_path):
    bare, work = env_repo
    options = ["--markdown", "automator-report.md", "--dotenv", "automator.env", "--cache-dir", ".cache/automator"]
    for tag in ("1.2.0", "1.3.0"):
        tags = write_tags(tmp_path / f"tags-{tag}.json", {APP: ["1.0.0", tag]})
        done = run_automator(["run", ".", "--tags-from", str(tags), *options], cwd=work)
        assert done.returncode == 0, done.stderr
        assert f"{APP}:{tag}" in show(bare, "apps/app.yaml")
    assert (work / "automator-report.md").exists() and (work / "automator.env").exists()


def test_a_pull_request_run_leaves_the_runs_own_files_out_of_its_check_too(env_repo):
    from automator.git.workspace import Workspace
    from automator.writeback.pull_requests import refuse_dirty

    _, work = env_repo
    own = own_outputs(work)
    ws = Workspace.open(work)
    refuse_dirty(ws, ".", own)  # nothing of yours: not refused
    with pytest.raises(UsageError) as raised:
        refuse_dirty(ws, ".")
    assert "automator-report.md" in raised.value.message
