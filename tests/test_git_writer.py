"""The writer against real bare remotes: one commit, rebase-retry, re-plan on conflict, refusals."""

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
from automator.errors import GitError, UsageError
from automator.git import WriteOptions, write_updates
from automator.git.backoff import RetryPolicy
from automator.run import apply_plan, make_plan
from automator.tagfile import FileTagSource

APP = "registry.example/team/app"
API = "registry.example/team/api"
FAST = RetryPolicy(max_attempts=10, max_seconds=30, base_delay=0.001, max_delay=0.01)


def writer(checkout: Path, tags: dict[str, list[str]], scan: str = ".", *, meanwhile=None, **options):
    """Run the writer on ``checkout``; ``meanwhile()`` runs once while the first plan is applied."""
    source = FileTagSource.parse(json.dumps(tags), "tags.json")
    path = checkout / scan
    pending = [meanwhile] if meanwhile else []

    def replan():
        return make_plan(checkout, source, scan_path=path)

    def apply(plan):
        while pending:
            pending.pop()()
        return apply_plan(checkout, plan)

    options.setdefault("retry", FAST)
    return write_updates(path, replan, apply, WriteOptions(**options), ctx=Context())


@pytest.fixture
def env_repo(tmp_path):
    files = {
        "prod/app.yaml": deployment("app", f"{APP}:1.0.0"),
        "prod/api.yaml": deployment("api", f"{API}:2.0.0"),
        "staging/app.yaml": deployment("app", f"{APP}:1.0.0"),
        "README.md": "environments\n",
    }
    bare = make_remote(tmp_path, files, branches=("production",))
    return bare, clone(bare, tmp_path / "work")


def test_all_updates_of_a_run_become_one_pushed_commit(env_repo):
    bare, work = env_repo
    result = writer(work, {APP: ["1.0.0", "1.2.0"], API: ["2.0.0", "2.1.0"]}, "prod")
    assert result.pushed and result.files == ("prod/api.yaml", "prod/app.yaml")
    assert git(bare, "rev-list", "--count", "main") == "2"
    assert f"image: {APP}:1.2.0" in show(bare, "prod/app.yaml")
    assert f"image: {API}:2.1.0" in show(bare, "prod/api.yaml")
    assert f"image: {APP}:1.0.0" in show(bare, "staging/app.yaml"), "only PATH is scanned"
    message = git(bare, "log", "-1", "--format=%B", "main")
    assert message.splitlines()[0] == "Update 2 images in prod (api 2.1.0, app 1.2.0)"
    assert f"- prod/app.yaml: {APP} 1.0.0 -> 1.2.0 (semver:>=1.0.0)" in message
    assert git(bare, "log", "-1", "--format=%an <%ae>|%cn <%ce>", "main") == (
        "Deployment Automator <automator@users.noreply.github.com>|"
        "Deployment Automator <automator@users.noreply.github.com>"
    )
    assert_clean(work)


def test_nothing_to_update_makes_no_commit(env_repo):
    bare, work = env_repo
    before = git(bare, "rev-parse", "main")
    result = writer(work, {APP: ["1.0.0"], API: ["2.0.0"]})
    assert result.change is None and not result.pushed
    assert git(bare, "rev-parse", "main") == before
    assert_clean(work)


def test_rejected_push_is_rebased_onto_unrelated_commits_keeping_history_linear(env_repo, tmp_path):
    bare, work = env_repo
    others = []
    result = writer(
        work, {APP: ["1.3.0"]}, "prod",
        meanwhile=lambda: others.append(commit_elsewhere(bare, tmp_path / "other", {"staging/notes.txt": "hello\n"}, "Unrelated")),
    )
    assert result.change.attempts == 2
    assert git(bare, "rev-parse", "main^") == others[0]
    assert git(bare, "rev-list", "--merges", "main") == ""
    assert f"{APP}:1.3.0" in show(bare, "prod/app.yaml") and show(bare, "staging/notes.txt") == "hello"
    assert_clean(work)


@pytest.mark.parametrize(
    ("landed_meanwhile", "our_view", "expected"),
    [
        ("1.5.0", ["1.0.0", "1.2.0"], "1.5.0"),  # newer tag already there: kept, no commit
        ("1.2.0", ["1.0.0", "1.2.0", "1.7.0"], "1.7.0"),  # ours is newer: re-planned and pushed
    ],
)
def test_conflicting_commit_is_dropped_and_replanned_never_downgrading(env_repo, tmp_path, landed_meanwhile, our_view, expected):
    bare, work = env_repo
    result = writer(
        work, {APP: our_view}, "prod",
        meanwhile=lambda: commit_elsewhere(bare, tmp_path / "other", {"prod/app.yaml": deployment("app", f"{APP}:{landed_meanwhile}")}, "Other run"),
    )
    assert f"image: {APP}:{expected}" in show(bare, "prod/app.yaml")
    assert result.replans == 1
    assert (result.change is not None) == (expected != landed_meanwhile)
    assert git(bare, "rev-list", "--merges", "main") == ""
    assert_clean(work)


def test_pre_receive_refusal_is_a_clear_error_and_leaves_the_checkout_clean(env_repo):
    bare, work = env_repo
    hook = bare / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'main is protected: open a pull request' >&2\nexit 1\n")
    hook.chmod(0o755)
    before = git(work, "rev-parse", "HEAD")
    with pytest.raises(GitError) as raised:
        writer(work, {APP: ["1.2.0"]}, "prod")
    assert "refused" in str(raised.value) and "main is protected" in str(raised.value)
    assert git(work, "rev-parse", "HEAD") == before
    assert_clean(work)


def test_a_refused_push_whose_commit_a_hook_changed_says_the_commit_stays(env_repo, caplog):
    """A pre-commit hook that adds its own line to a file the run wrote makes the run's commit
    hold content the run did not write: undoing it could lose that content, so it stays. The
    run must then say so, not that the checkout was left as it was."""
    bare, work = env_repo
    hook = bare / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\nexit 1\n")
    hook.chmod(0o755)
    stamp = work / ".git" / "hooks" / "pre-commit"
    stamp.write_text("#!/bin/sh\necho '# checked' >> prod/app.yaml && git add prod/app.yaml\n")
    stamp.chmod(0o755)
    before = git(work, "rev-parse", "HEAD")
    with caplog.at_level("WARNING"), pytest.raises(GitError) as raised:
        writer(work, {APP: ["1.2.0"]}, "prod")
    assert git(work, "rev-parse", "HEAD") != before  # the hook's content is never thrown away
    assert "left as it was" not in str(raised.value) and "not fully restored" in str(raised.value)
    assert any("not fully restored" in r.message and "git show" in r.message for r in caplog.records)


def test_a_push_budget_spent_on_a_failing_remote_says_the_remote_failed_not_that_the_branch_moved(env_repo):
    """An HTTP 500 on every push is retried as a transient failure until the budget is spent;
    the error then names that failure, not a branch that kept moving (it never moved)."""
    import http.server
    import threading

    class Failing(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server name
            self.send_error(500)

        do_POST = do_GET

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Failing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _, work = env_repo
    git(work, "config", "remote.origin.pushurl", f"http://127.0.0.1:{server.server_address[1]}/env.git")
    try:
        with pytest.raises(GitError) as raised:
            writer(work, {APP: ["1.2.0"]}, "prod", retry=RetryPolicy(max_attempts=3, max_seconds=30, base_delay=0.001, max_delay=0.01))
    finally:
        server.shutdown()
        server.server_close()
    assert "after 3 attempts: the remote kept failing (" in str(raised.value)
    assert "kept moving" not in str(raised.value)
    assert_clean(work)


def test_dirty_scanned_path_is_refused_with_the_file_named(env_repo):
    _, work = env_repo
    (work / "prod" / "app.yaml").write_text("edited by hand\n")
    with pytest.raises(UsageError, match=r"uncommitted changes in prod .*prod/app.yaml"):
        writer(work, {APP: ["1.2.0"]}, "prod")
    assert (work / "prod" / "app.yaml").read_text() == "edited by hand\n"


def test_remote_ahead_at_start_is_fast_forwarded_without_a_retry(env_repo, tmp_path):
    bare, work = env_repo
    other = commit_elsewhere(bare, tmp_path / "other", {"staging/notes.txt": "hello\n"}, "Unrelated change")
    result = writer(work, {APP: ["1.3.0"]}, "prod")
    assert result.change.attempts == 1 and git(bare, "rev-parse", "main^") == other


def test_untracked_file_outside_the_scanned_path_does_not_stop_the_run(env_repo):
    bare, work = env_repo
    (work / "scratch.txt").write_text("notes\n")
    writer(work, {APP: ["1.2.0"]}, "prod")
    assert f"{APP}:1.2.0" in show(bare, "prod/app.yaml")
    assert (work / "scratch.txt").exists()


def test_branch_per_environment_pushes_there_and_returns_to_the_original_branch(env_repo):
    bare, work = env_repo
    main_before = git(bare, "rev-parse", "main")
    result = writer(work, {APP: ["1.4.0"]}, "prod", remote="origin", branch="production")
    assert result.change.branch == "production"
    assert f"{APP}:1.4.0" in show(bare, "prod/app.yaml", "production")
    assert git(bare, "rev-parse", "main") == main_before
    assert_clean(work, "main")
    assert f"{APP}:1.0.0" in (work / "prod" / "app.yaml").read_text()


def test_no_push_commits_locally_only(env_repo):
    bare, work = env_repo
    result = writer(work, {APP: ["1.2.0"]}, "prod", push=False)
    assert not result.pushed and git(work, "rev-parse", "HEAD") == result.change.commit
    assert git(work, "rev-list", "--count", "origin/main..HEAD") == "1"
    assert f"{APP}:1.0.0" in show(bare, "prod/app.yaml")


def test_local_commits_not_on_the_remote_are_refused(env_repo):
    _, work = env_repo
    (work / "README.md").write_text("local edit\n")
    git(work, "commit", "--quiet", "-am", "Local work")
    with pytest.raises(UsageError, match="1 commit.* not on origin main"):
        writer(work, {APP: ["1.2.0"]}, "prod")


def test_a_new_remote_branch_is_refused_when_it_would_publish_the_users_own_commits(env_repo):
    """A branch the remote does not have yet is created at HEAD, with every commit of HEAD the
    remote lacks: the user's private commit would go out with the run's. Started from a branch
    the remote has, the new branch holds the run's commit alone."""
    bare, work = env_repo
    git(work, "checkout", "--quiet", "-b", "feature")
    (work / "README.md").write_text("private work in progress\n")
    git(work, "commit", "--quiet", "-am", "WIP")
    with pytest.raises(UsageError, match="feature has 1 commit.* on no branch of origin; creating feature there would publish them"):
        writer(work, {APP: ["1.2.0"]}, "prod", remote="origin")
    assert "feature" not in git(bare, "branch", "--list", "feature")
    git(work, "reset", "--quiet", "--hard", "origin/main")  # nothing of the user's own
    result = writer(work, {APP: ["1.2.0"]}, "prod", remote="origin")
    assert result.pushed and git(bare, "rev-list", "--count", "main..feature") == "1"


def test_leftover_rebase_from_someone_else_is_refused(env_repo, tmp_path):
    bare, work = env_repo
    (work / "README.md").write_text("mine\n")
    git(work, "commit", "--quiet", "-am", "Mine")
    commit_elsewhere(bare, tmp_path / "other", {"README.md": "theirs\n"}, "Theirs")
    git(work, "fetch", "--quiet")
    subprocess_result = __import__("subprocess").run(["git", "rebase", "origin/main"], cwd=work, capture_output=True)
    assert subprocess_result.returncode != 0
    with pytest.raises(GitError, match="rebase is in progress .* did not start"):
        writer(work, {APP: ["1.2.0"]}, "prod")


def test_author_is_configurable_and_committer_follows_git_config(env_repo):
    from automator.git import parse_identity

    bare, work = env_repo
    git(work, "config", "user.name", "CI Bot")
    git(work, "config", "user.email", "ci@example.com")
    writer(work, {APP: ["1.2.0"]}, "prod", author=parse_identity("Release Team <release@example.com>"))
    assert git(bare, "log", "-1", "--format=%an <%ae>|%cn <%ce>", "main") == "Release Team <release@example.com>|CI Bot <ci@example.com>"


def test_retry_budget_exhausted_is_a_git_error_and_leaves_the_checkout_clean(env_repo, tmp_path):
    bare, work = env_repo
    before = git(work, "rev-parse", "HEAD")
    with pytest.raises(GitError, match="could not push to origin main after 1 attempts"):
        writer(
            work, {APP: ["1.3.0"]}, "prod", retry=RetryPolicy(max_attempts=1, max_seconds=30),
            meanwhile=lambda: commit_elsewhere(bare, tmp_path / "other", {"docs/x.md": "x\n"}, "Unrelated"),
        )
    assert git(work, "rev-parse", "HEAD") == before
    assert not (work / ".git" / "automator-run.json").exists()
    assert_clean(work)


def test_failed_commit_with_no_push_keeps_the_users_staged_changes_elsewhere(env_repo):
    _, work = env_repo
    (work / "README.md").write_text("staged by the user\n")
    git(work, "add", "README.md")
    hook = work / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho 'commits are frozen' >&2\nexit 1\n")
    hook.chmod(0o755)

    with pytest.raises(GitError, match="commits are frozen"):
        writer(work, {APP: ["1.2.0"]}, "prod", push=False)

    assert git(work, "status", "--porcelain", "--untracked-files=all") == "M  README.md"
    assert f"{APP}:1.0.0" in (work / "prod" / "app.yaml").read_text()
    assert not (work / ".git" / "automator-run.json").exists()


def test_an_untracked_file_the_remote_starts_tracking_is_never_overwritten(env_repo, tmp_path):
    bare, work = env_repo
    (work / "notes.txt").write_text("the user's own notes\n")
    before = git(work, "rev-parse", "HEAD")

    with pytest.raises(GitError, match="notes.txt") as raised:
        writer(
            work, {APP: ["1.2.0"]}, "prod",
            meanwhile=lambda: commit_elsewhere(bare, tmp_path / "other", {"notes.txt": "theirs\n"}, "Track notes"),
        )

    assert "move or delete" in raised.value.hint
    assert (work / "notes.txt").read_text() == "the user's own notes\n"
    assert git(work, "rev-parse", "HEAD") == before
    assert git(work, "status", "--porcelain", "--untracked-files=all") == "?? notes.txt"
    assert f"{APP}:1.0.0" in show(bare, "prod/app.yaml"), "nothing of ours landed"
