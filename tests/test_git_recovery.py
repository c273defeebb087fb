"""Recovery after a killed run touches only the run's own work: user edits and files survive,
stale git locks are cleared only when provably the run's, temporary worktrees are pruned."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time

import pytest
from git_helpers import (
    ROOT,
    assert_clean,
    clone,
    deployment,
    git,
    isolated_git,  # noqa: F401  (autouse fixture)
    make_remote,
    run_automator,
    show,
    write_tags,
)

from automator.git.locks import LockFile
from automator.git.marker import JournalEntry, RunMarker, blob_id
from automator.git.recovery import FileState, Observed, plan_recovery

APP = "registry.example/team/app"
OTHER = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\ndata:\n  a: b\n"


@pytest.fixture
def env_repo(tmp_path):
    files = {"apps/app.yaml": deployment("app", f"{APP}:1.0.0"), "apps/other.yaml": OTHER, "README.md": "env\n"}
    bare = make_remote(tmp_path, files)
    tags = write_tags(tmp_path / "tags.json", {APP: ["1.0.0", "1.2.0"]})
    return bare, clone(bare, tmp_path / "work"), tags


def kill_at(work, tags, point: str, *extra: str) -> None:
    done = run_automator(["run", "apps", "--tags-from", str(tags), *extra], cwd=work, env={"AUTOMATOR_TEST_KILL_AT": point})
    assert done.returncode == -9, done.stderr
    assert (work / ".git" / "automator-run.json").exists()


# --- the pure plan ---------------------------------------------------------------------------

MARKER = RunMarker(original="main", base="b" * 40, scan="apps", detached=False, start="b" * 40, commits=("b" * 40,), pid=999999, started=1000.0)
OURS, BEFORE, USERS = blob_id(b"ours"), blob_id(b"before"), blob_id(b"user's")


def seen(*files: FileState, **fields) -> Observed:
    base = {"root": "/repo", "marker": MARKER, "journal": (JournalEntry("apps/app.yaml", BEFORE, OURS),), "head": "b" * 40,
            "head_parents": ("a" * 40,), "branch": "main", "files": files}
    return Observed(**{**base, **fields})


def test_plan_restores_only_files_still_holding_what_the_run_wrote():
    plan = plan_recovery(seen(
        FileState("apps/app.yaml", OURS, BEFORE, None, BEFORE),
        FileState("apps/other.yaml", USERS, BEFORE, None, BEFORE),
        FileState("apps/new.yaml", USERS, None, None, None),
    ))
    assert [(s.action, s.target) for s in plan.steps] == [("restore", "apps/app.yaml"), ("clear-marker", "automator-run.json")]
    assert [path for path, _ in plan.kept] == ["apps/other.yaml", "apps/new.yaml"]
    assert not plan.blockers


def test_plan_leaves_a_journaled_file_the_user_changed_since():
    plan = plan_recovery(seen(FileState("apps/app.yaml", USERS, BEFORE, None, BEFORE)))
    assert [s.action for s in plan.steps] == ["clear-marker"]
    assert plan.kept == (("apps/app.yaml", "changed since the interrupted run (not by it); left as it is"),)


def test_plan_drops_the_runs_commit_only_when_it_changes_just_the_runs_files():
    commit = "c" * 40
    ours = seen(FileState("apps/app.yaml", OURS, OURS, BEFORE, OURS), head=commit, head_parents=(MARKER.base,),
                head_changes=(("apps/app.yaml", OURS),))
    assert [s.action for s in plan_recovery(ours).steps] == ["drop-commit", "unstage", "restore", "clear-marker"]
    users = seen(head=commit, head_parents=(MARKER.base,), head_changes=(("apps/app.yaml", OURS), ("README.md", USERS)))
    assert "drop-commit" not in [s.action for s in plan_recovery(users).steps]


def test_plan_names_content_the_runs_commit_took_from_someone_else():
    # a killed run's `git commit` went on and took an edit made meanwhile: the commit has the
    # run's shape but not only the run's bytes, so it stays, and the note names the file
    commit = "c" * 40
    journal = (JournalEntry("apps/app.yaml", BEFORE, OURS), JournalEntry("apps/api.yaml", BEFORE, OURS))
    taken = seen(head=commit, head_parents=(MARKER.base,), journal=journal,
                 head_changes=(("apps/app.yaml", OURS), ("apps/api.yaml", USERS)))
    plan = plan_recovery(taken)
    assert "drop-commit" not in [s.action for s in plan.steps]
    assert len(plan.notes) == 1 and "other content in apps/api.yaml" in plan.notes[0] and f"git show {commit[:12]}" in plan.notes[0]
    # a commit of only other content (the user's own, say) is not called the run's
    own = seen(head=commit, head_parents=(MARKER.base,), journal=journal, head_changes=(("apps/api.yaml", USERS),))
    assert plan_recovery(own).notes == ()


def test_plan_notes_nothing_for_a_branch_run_stopped_before_it_left_the_branch():
    # the marker says the run worked on a detached HEAD (another branch), but the checkout is
    # on main at the commit the run started from: the run never moved it
    never_left = dataclasses.replace(MARKER, detached=True)
    assert plan_recovery(seen(marker=never_left)).notes == ()
    moved_on = seen(marker=never_left, head="c" * 40, head_parents=("b" * 40,))
    assert "not where the interrupted run left it" in plan_recovery(moved_on).notes[0]


def test_plan_removes_a_lock_newer_than_the_marker_only_without_live_git():
    lock = LockFile(__import__("pathlib").Path("/repo/.git/index.lock"), MARKER.started + 5)
    assert plan_recovery(seen(locks=(lock,), git_pids=())).steps[0].action == "remove-lock"
    busy = plan_recovery(seen(locks=(lock,), git_pids=(4242,)))
    assert "4242" in busy.blockers[0].message and busy.blockers[0].command.endswith("`rm /repo/.git/index.lock`")
    old = plan_recovery(seen(locks=(LockFile(lock.path, MARKER.started - 60),), git_pids=()))
    assert "older than the interrupted run" in old.blockers[0].message and not old.steps


# --- real checkouts --------------------------------------------------------------------------


def test_user_edits_and_new_files_after_a_crash_are_kept_and_named(env_repo):
    bare, work, tags = env_repo
    kill_at(work, tags, "after-apply")
    (work / "apps" / "other.yaml").write_text(OTHER + "  edited: by hand\n")
    (work / "apps" / "newapp.yaml").write_text("new: file\n")

    done = run_automator(["run", "apps", "--tags-from", str(tags)], cwd=work)

    assert done.returncode == 2
    assert "apps/other.yaml" in done.stderr and "apps/newapp.yaml" in done.stderr and "stash" in done.stderr
    assert (work / "apps" / "other.yaml").read_text() == OTHER + "  edited: by hand\n"
    assert (work / "apps" / "newapp.yaml").read_text() == "new: file\n"
    assert f"{APP}:1.0.0" in (work / "apps" / "app.yaml").read_text(), "the run's own edit was undone"
    assert git(work, "diff", "--cached", "--name-only") == ""
    git(work, "stash", "push", "--quiet", "--include-untracked")
    again = run_automator(["run", "apps", "--tags-from", str(tags)], cwd=work)
    assert again.returncode == 0, again.stderr
    git(work, "stash", "pop", "--quiet")
    assert f"{APP}:1.2.0" in show(bare, "apps/app.yaml")
    assert (work / "apps" / "newapp.yaml").read_text() == "new: file\n"


def test_a_file_the_run_wrote_and_the_user_then_edited_is_not_reverted(env_repo):
    _, work, tags = env_repo
    kill_at(work, tags, "after-commit")
    edited = (work / "apps" / "app.yaml").read_text() + "# reviewed by hand\n"
    (work / "apps" / "app.yaml").write_text(edited)

    done = run_automator(["run", "apps", "--tags-from", str(tags)], cwd=work)

    assert done.returncode == 2 and "apps/app.yaml" in done.stderr
    assert (work / "apps" / "app.yaml").read_text() == edited
    assert git(work, "rev-parse", "HEAD") == git(work, "rev-parse", "origin/main"), "the unpushed commit was dropped"
    assert git(work, "diff", "--cached", "--name-only") == ""


def test_stale_index_lock_of_a_killed_commit_is_removed_with_a_notice(env_repo):
    bare, work, tags = env_repo
    hook = work / ".git" / "hooks" / "pre-commit"
    started = work.parent / "hook-started"
    hook.write_text(f"#!/bin/sh\ntouch {started}\nsleep 30\n")
    hook.chmod(0o755)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # --no-push commits `-- FILES`, which holds index.lock while the hook runs (a pushing run
    # commits the index it staged, and git lets go of the lock before the hook)
    run = subprocess.Popen([sys.executable, "-m", "automator", "run", "apps", "--no-push", "--tags-from", str(tags)], cwd=work,
                           env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not started.exists():
        assert time.monotonic() < deadline and run.poll() is None
        time.sleep(0.02)
    os.killpg(run.pid, 9)  # the whole job, as a cancelled CI job is: git dies holding index.lock
    run.wait()
    assert (work / ".git" / "index.lock").exists()
    hook.unlink()

    done = run_automator(["run", "apps", "--tags-from", str(tags)], cwd=work)

    assert done.returncode == 0, done.stderr
    assert "index.lock" in done.stderr and "left by a git process of the interrupted run" in done.stderr
    assert f"{APP}:1.2.0" in show(bare, "apps/app.yaml")
    assert_clean(work)


def test_a_lock_older_than_the_crash_is_refused_with_the_command_that_clears_it(env_repo):
    _, work, tags = env_repo
    lock = work / ".git" / "HEAD.lock"
    lock.write_text("")
    old = time.time() - 3600
    os.utime(lock, (old, old))
    kill_at(work, tags, "after-apply")  # git cannot move HEAD while the lock is there
    done = run_automator(["run", "apps", "--tags-from", str(tags)], cwd=work)
    assert done.returncode == 3
    assert f"rm {lock}" in done.stderr and "older than the interrupted run" in done.stderr
    assert (work / ".git" / "automator-run.json").exists(), "the marker stays for the next try"
    lock.unlink()
    assert run_automator(["run", "apps", "--tags-from", str(tags)], cwd=work).returncode == 0
    assert_clean(work)


def test_a_killed_pull_request_run_leaves_a_worktree_that_the_next_run_prunes(env_repo, tmp_path):
    bare, work, _ = env_repo
    scratch_tmp = tmp_path / "tmp"
    scratch_tmp.mkdir()
    user_tree = tmp_path / "users-own-worktree"
    git(work, "worktree", "add", "--quiet", "--detach", str(user_tree))
    script = (
        "import os, signal\n"
        "from automator.git.branch import BranchPusher\n"
        f"with BranchPusher({str(work)!r}, base='main').base_tree() as tree:\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    killed = subprocess.run([sys.executable, "-c", script], env={**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(scratch_tmp)})
    assert killed.returncode == -9
    (left,) = scratch_tmp.iterdir()
    assert left.name.startswith("automator-branch-")
    assert str(left) in git(work, "worktree", "list")

    from automator.git.branch import BranchPusher

    with BranchPusher(work, base="main").base_tree():
        pass

    assert list(scratch_tmp.iterdir()) == []
    listing = git(work, "worktree", "list")
    assert str(left) not in listing and str(user_tree) in listing, "the user's own worktree is not pruned"
    assert not (work / ".git" / "automator-scratch").exists() or not list((work / ".git" / "automator-scratch").iterdir())


# --- automator recover -----------------------------------------------------------------------


def test_recover_shows_the_marker_and_the_plan_and_changes_nothing(env_repo):
    _, work, tags = env_repo
    kill_at(work, tags, "after-commit")
    (work / "apps" / "other.yaml").write_text(OTHER + "  edited: by hand\n")
    head = git(work, "rev-parse", "HEAD")

    shown = run_automator(["recover", "apps"], cwd=work)

    assert shown.returncode == 0, shown.stderr
    assert "wrote apps/app.yaml" in shown.stdout and "recovery would:" in shown.stdout
    assert "drop-commit" in shown.stdout and "leave apps/other.yaml: changed since the interrupted run" in shown.stdout
    assert git(work, "rev-parse", "HEAD") == head and (work / ".git" / "automator-run.json").exists()

    document = __import__("json").loads(run_automator(["recover", "--json"], cwd=work).stdout)
    assert document["marker"]["process_gone"] is True and document["applied"] is False
    assert [entry["path"] for entry in document["files_written"]] == ["apps/app.yaml"]
    assert [step["action"] for step in document["steps"]] == ["drop-commit", "unstage", "restore", "clear-marker"]
    assert document["kept"] == [{"path": "apps/other.yaml", "why": "changed since the interrupted run (not by it); left as it is"}]


def test_recover_apply_undoes_the_run_and_keeps_the_users_edit(env_repo):
    _, work, tags = env_repo
    kill_at(work, tags, "after-commit")
    (work / "apps" / "other.yaml").write_text(OTHER + "  edited: by hand\n")

    done = run_automator(["recover", "--apply"], cwd=work)

    assert done.returncode == 0, done.stderr
    assert "recovery did:" in done.stdout
    assert git(work, "rev-parse", "HEAD") == git(work, "rev-parse", "origin/main")
    assert (work / "apps" / "other.yaml").read_text() == OTHER + "  edited: by hand\n"
    assert f"{APP}:1.0.0" in (work / "apps" / "app.yaml").read_text()
    assert git(work, "diff", "--cached", "--name-only") == ""
    assert not (work / ".git" / "automator-run.json").exists()
    assert "nothing to recover" in run_automator(["recover"], cwd=work).stdout


def test_recover_apply_that_is_blocked_exits_3_naming_the_lock_and_keeps_the_marker(env_repo):
    _, work, tags = env_repo
    kill_at(work, tags, "after-apply")
    lock = work / ".git" / "index.lock"
    lock.write_text("")
    old = time.time() - 3600
    os.utime(lock, (old, old))
    done = run_automator(["recover", "--apply"], cwd=work)
    assert done.returncode == 3 and f"rm {lock}" in done.stderr
    assert (work / ".git" / "automator-run.json").exists()


@pytest.mark.parametrize("point", ["after-apply", "after-commit", "before-push"])
def test_a_killed_run_on_another_branch_is_undone_and_the_user_is_back_on_their_branch(tmp_path, point):
    files = {"apps/app.yaml": deployment("app", f"{APP}:1.0.0"), "apps/other.yaml": OTHER}
    bare = make_remote(tmp_path, files, branches=("production",))
    tags = write_tags(tmp_path / "tags.json", {APP: ["1.0.0", "1.2.0"]})
    work = clone(bare, tmp_path / "work")
    kill_at(work, tags, point, "--remote", "origin", "--branch", "production")
    assert git(work, "rev-parse", "--abbrev-ref", "HEAD") == "HEAD", "the killed run worked on a detached HEAD"

    done = run_automator(["run", "apps", "--tags-from", str(tags), "--remote", "origin", "--branch", "production"], cwd=work)

    assert done.returncode == 0, done.stderr
    assert_clean(work, "main")
    assert f"{APP}:1.2.0" in show(bare, "apps/app.yaml", "production")
    assert f"{APP}:1.0.0" in show(bare, "apps/app.yaml", "main")


def test_a_run_after_a_commit_that_took_an_edit_keeps_it_and_says_so(tmp_path):
    api = "registry.example/team/api"
    bare = make_remote(tmp_path, {"apps/app.yaml": deployment("app", f"{APP}:1.0.0"),
                                  "apps/api.yaml": deployment("api", f"{api}:1.0.0")})
    tags = write_tags(tmp_path / "tags.json", {APP: ["1.0.0", "1.2.0"], api: ["1.0.0", "1.2.0"]})
    work = clone(bare, tmp_path / "work")
    kill_at(work, tags, "after-commit", "--no-push")
    # what the killed run's commit would hold had an edit of apps/api.yaml landed in it
    edited = (work / "apps" / "api.yaml").read_text() + "# reviewed by hand\n"
    (work / "apps" / "api.yaml").write_text(edited)
    git(work, "commit", "--quiet", "--amend", "--no-edit", "--", "apps/api.yaml")
    taken = git(work, "rev-parse", "HEAD")

    done = run_automator(["run", "apps", "--no-push", "--tags-from", str(tags)], cwd=work)

    assert done.returncode == 0, done.stderr
    assert f"HEAD ({taken[:12]}) holds what the interrupted run wrote and other content in apps/api.yaml" in done.stderr
    assert git(work, "rev-parse", "HEAD") == taken, "the commit is left as it is"
    assert (work / "apps" / "api.yaml").read_text() == edited
    assert not (work / ".git" / "automator-run.json").exists()
