"""``automator run --dry-run`` answers "would this run work?": what the run refuses before it
writes anything (exit 2), the dry run refuses too, with the same message. Only where to push
may stay open: a checkout on a detached HEAD or on a branch without upstream (the checkout of a
merge request pipeline) still gets its plan. The commit message shown is the one the run
would commit, ``$branch`` included."""

from __future__ import annotations

import pytest
from git_helpers import (
    clone,
    deployment,
    git,
    isolated_git,  # noqa: F401  (autouse fixture)
    make_remote,
    write_tags,
)

from automator.cli import main
from automator.errors import ExitCode

APP = "registry.example/team/app"
REVIEW_RULES = "version: 1\nrules:\n  - name: reviewed\n    write: pr\n"


@pytest.fixture
def work(tmp_path):
    """A checkout of ``main`` tracking its remote (a local path: no forge), one update due."""
    bare = make_remote(tmp_path, {"apps/app.yaml": deployment("app", f"{APP}:1.0.0")})
    write_tags(tmp_path / "tags.json", {APP: ["1.0.0", "1.1.0"]})
    return clone(bare, tmp_path / "work")


def automator_run(work, capsys, *extra: str) -> tuple[int, str, str]:
    code = main(["run", str(work / "apps"), "--tags-from", str(work.parent / "tags.json"), *extra])
    out, err = capsys.readouterr()
    return code, out, err


def edit_the_automated_file(work):
    (work / "apps" / "app.yaml").write_text(deployment("app", f"{APP}:1.0.1"))


def route_every_update_to_a_pull_request(work):
    (work / ".automator.yaml").write_text(REVIEW_RULES)
    git(work, "add", ".automator.yaml")
    git(work, "commit", "--quiet", "-m", "review every update")


REFUSED = {
    "an unknown remote": ((), ("--remote", "nosuch"), "no remote named nosuch"),
    "a branch the remote does not have": ((), ("--branch", "nosuch"), "origin has no branch nosuch"),
    "uncommitted edits to the automated file": ((edit_the_automated_file,), (), "uncommitted changes in apps"),
    "pull requests on a remote that is neither GitHub nor GitLab": ((), ("--pr",), "cannot read host and project"),
    "--no-push when a rule routes updates to pull requests": (
        (route_every_update_to_a_pull_request,), ("--no-push",), "--no-push, but 1 update(s) go to pull requests"),
}


@pytest.mark.parametrize("setup, arguments, message", REFUSED.values(), ids=REFUSED.keys())
def test_a_dry_run_refuses_what_the_run_refuses_with_the_same_message(work, capsys, setup, arguments, message):
    for step in setup:
        step(work)
    head = git(work, "rev-parse", "HEAD")

    dry = automator_run(work, capsys, "--dry-run", *arguments)
    real = automator_run(work, capsys, *arguments)

    assert (dry[0], real[0]) == (ExitCode.USAGE, ExitCode.USAGE)
    assert message in dry[2] and dry[2] == real[2]
    assert "commit message" not in dry[1], "no plan is shown for a run that cannot happen"
    assert git(work, "rev-parse", "HEAD") == head


def test_the_rule_that_routes_an_update_is_named_in_the_dry_run_refusal(work, capsys):
    route_every_update_to_a_pull_request(work)

    code, _, err = automator_run(work, capsys, "--dry-run", "--no-push")

    assert code == ExitCode.USAGE
    assert "apps/app.yaml: registry.example/team/app 1.0.0 -> 1.1.0 (rule 'reviewed' (" in err
    assert ".automator.yaml:3) says write: pr)" in err


def test_a_detached_head_still_gets_its_plan(work, capsys):
    """A merge request pipeline checks out a commit, not a branch: nowhere to push, but the
    plan and the message are what the reviewers want to see."""
    git(work, "checkout", "--quiet", "--detach")

    code, out, err = automator_run(work, capsys, "--dry-run")

    assert code == ExitCode.OK, err
    assert "commit message:\nUpdate 1 image in apps (app 1.1.0)" in out


def test_a_branch_without_upstream_still_gets_its_plan_with_the_branch_in_its_message(work, capsys):
    git(work, "checkout", "--quiet", "-b", "local-only")

    code, out, err = automator_run(work, capsys, "--dry-run", "--message-template", "[$branch] $summary")

    assert code == ExitCode.OK, err
    assert "commit message:\n[local-only] Update" in out


@pytest.mark.parametrize("arguments, branch", [((), "main"), (("--no-push",), "main")])
def test_the_dry_run_message_names_the_branch_the_run_commits_to(work, capsys, arguments, branch):
    template = ("--message-template", "[$branch] $summary")

    code, out, _ = automator_run(work, capsys, "--dry-run", *template, *arguments)
    shown = out.split("commit message:\n")[1].splitlines()[0]
    assert code == ExitCode.OK
    assert automator_run(work, capsys, *template, *arguments)[0] == ExitCode.OK

    assert shown == git(work, "log", "-1", "--format=%s") == f"[{branch}] Update 1 image in apps (app 1.1.0)"
