"""A ``--remote`` or ``--branch`` that cannot work is an invalid argument (exit 2, nothing done),
said before anything else happens: no warning about a checkout that never moved."""

from __future__ import annotations

import subprocess

import pytest
from git_helpers import (
    assert_clean,
    clone,
    deployment,
    git,
    isolated_git,  # noqa: F401  (autouse fixture)
    make_remote,
    run_automator,
    write_tags,
)

from automator.errors import UsageError
from automator.git.refname import branch_name_problem
from automator.git.target import check_branch_name

APP = "registry.example/team/app"


@pytest.fixture
def env_repo(tmp_path):
    bare = make_remote(tmp_path, {"envs/prod/app.yaml": deployment("app", f"{APP}:1.0.0")}, branches=("production",))
    tags = write_tags(tmp_path / "tags.json", {APP: ["1.0.0", "1.1.0"]})
    return bare, clone(bare, tmp_path / "work"), tags


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--remote", "nosuch"], "no remote named nosuch in "),
        (["--remote", "nosuch"], "(its remotes: origin)"),
        (["--branch", "nosuchbranch"], "origin has no branch nosuchbranch (create the environment branch first)"),
        (["--remote", "origin", "--branch", "nosuchbranch"], "origin has no branch nosuchbranch"),
        (["--pr", "--pr-base", "a:b"], "--pr-base 'a:b' is not a valid branch name: it holds ':'"),
        (["--branch", "bad..name"], "--branch 'bad..name' is not a valid branch name: it holds `..`"),
    ],
)
def test_a_remote_or_branch_that_cannot_work_exits_2_and_changes_nothing(env_repo, args, message):
    bare, work, tags = env_repo
    before = {branch: git(bare, "rev-parse", branch) for branch in ("main", "production")}

    done = run_automator(["run", "envs/prod", "--tags-from", str(tags), *args], cwd=work)

    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert "not fully restored" not in done.stderr and "WARNING" not in done.stderr
    assert {branch: git(bare, "rev-parse", branch) for branch in before} == before
    assert_clean(work)


def test_a_fetch_that_fails_before_the_checkout_moved_warns_of_nothing_left_behind(env_repo, tmp_path):
    bare, work, tags = env_repo
    gone = tmp_path / "gone.git"

    done = run_automator(["run", "envs/prod", "--tags-from", str(tags), "--remote", str(gone), "--branch", "production"], cwd=work)

    assert done.returncode == 3 and f"fetch of production from {gone} failed" in done.stderr
    assert "not fully restored" not in done.stderr
    assert_clean(work)


def test_a_link_out_of_the_checkout_is_refused_as_scan_and_update_refuse_it(env_repo, tmp_path):
    bare, work, tags = env_repo
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "app.yaml").write_text(deployment("app", f"{APP}:1.0.0"))
    (work / "linkout").symlink_to(outside)
    git(work, "add", "linkout")
    git(work, "commit", "--quiet", "-m", "A link out")

    refusals = {command: run_automator([command, "linkout", "--tags-from", str(tags)], cwd=work) for command in ("run", "scan", "update")}

    for command, done in refusals.items():
        assert done.returncode == 2
        assert f"automator {command}: error: linkout: resolves to {outside}, outside the repository" in done.stderr
        assert "refused" in done.stderr


def check_ref_format(name: str) -> bool:
    return subprocess.run(["git", "check-ref-format", "--branch", name], capture_output=True).returncode == 0


@pytest.mark.parametrize(
    "name",
    ["production", "env/prod", "release-1.2", "a.b", "bad..name", "-dash", "sp ace", "ends.", "x.lock", "a/.hidden",
     "/lead", "trail/", "a//b", "at@{x", "@", "tilde~1", "caret^", "colon:x", "q?", "star*", "br[acket", "back\\slash",
     "tab\tx", "", "héllo"],
)
def test_branch_names_are_refused_exactly_as_git_refuses_them(name):
    assert (branch_name_problem(name) == "") == check_ref_format(name)


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ({}, "--branch 'a:b' is not a valid branch name: it holds ':'"),
        ({"option": "--pr-base"}, "--pr-base 'a:b' is not a valid branch name: it holds ':'"),
    ],
)
def test_a_bad_branch_name_is_refused_naming_the_option_it_was_given_to(option, message):
    with pytest.raises(UsageError) as refused:
        check_branch_name("a:b", **option)

    assert refused.value.message == message
    assert refused.value.exit_code == 2
