"""A pull request that could not be written (exit 3) is an error in every report, as a refused
push is: the JSON's ``errors``, the dotenv's ``AUTOMATOR_PROBLEMS``, the Markdown report, the
GitHub step summary, outputs and an ``::error`` annotation, each naming the request's branch.
The updates of that branch were not written, so no report counts them as updates."""

from __future__ import annotations

import json

import pytest
from forge_helpers import (
    as_github_clone,
    deployment,
    fake_github,
    isolate_git,
    make_env_repo,
    tags,
)

from automator.cli import main
from automator.errors import ExitCode
from automator.forge.ensure import Outcome
from automator.model import Plan
from automator.result import PullRequests, RunResult
from automator.run import make_plan
from automator.tagfile import FileTagSource

TOKEN = "ghp_" + "c" * 36
APP = "clusters/prod/app.yaml"
ALL = "automator/clusters-prod/all"


@pytest.fixture(autouse=True)
def isolated(tmp_path_factory, monkeypatch):
    isolate_git(tmp_path_factory.mktemp("home"), monkeypatch, TOKEN)


@pytest.fixture
def world(tmp_path, monkeypatch):
    env = make_env_repo(tmp_path, {APP: deployment()})
    as_github_clone(env)
    monkeypatch.chdir(env.clone)
    (tmp_path / "tags.json").write_text(json.dumps(tags(podinfo="6.5.1", redis="7.2.4")))
    with fake_github(env, TOKEN) as fake:
        yield env, fake


@pytest.fixture
def github_actions(tmp_path, monkeypatch):
    """The files a GitHub Actions step gives a run for its outputs and its summary."""
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_OUTPUT", str(tmp_path / "github-output"))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    return tmp_path


def run_pr(tmp_path, fake, *extra: str) -> int:
    return main(["run", "clusters/prod", "--tags-from", str(tmp_path / "tags.json"), "--pr", "--forge-url", fake.base,
                 "--dotenv", str(tmp_path / "automator.env"), "--markdown", str(tmp_path / "report.md"), *extra])


def dotenv(tmp_path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in (tmp_path / "automator.env").read_text().splitlines())


def test_a_refused_token_is_an_error_of_every_report_and_no_update_is_counted(world, github_actions, tmp_path, capsys, monkeypatch):
    _, fake = world
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_" + "z" * 36)  # GitHub answers 401

    code = run_pr(tmp_path, fake, "--json")

    out, err = capsys.readouterr()
    assert code == ExitCode.WRITE_FAILED
    document = json.loads(out)
    assert document["updates"] == [] and document["exit_code"] == 3
    [error] = document["errors"]
    assert error["message"].startswith(f"{ALL}: ") and "GITHUB_TOKEN is invalid or expired" in error["message"]
    assert [p["action"] for p in document["pull_requests"]] == ["failed"]
    variables = dotenv(tmp_path)
    assert (variables["AUTOMATOR_UPDATED"], variables["AUTOMATOR_PROBLEMS"], variables["AUTOMATOR_UPDATES"]) == ("0", "1", "[]")
    report = (tmp_path / "report.md").read_text()
    assert "No image was updated (see the problems below)." in report and f"**error**: {ALL}: " in report
    assert "No image needs an update." not in report, "the update failed: it is still needed"
    summary = (github_actions / "summary.md").read_text()
    assert "No image was updated (see the problems below)." in summary
    assert "#### Problems (1)" in summary and "stayed" not in summary, "the images that failed did not stay as they are"
    outputs = (github_actions / "github-output").read_text()
    assert "updated<<" in outputs and "\n0\n" in outputs.split("updated<<")[1].split("updates<<")[0]
    assert f"::error title=automator::{ALL}: " in err  # stdout carries the JSON: annotations go to stderr


def test_only_the_branch_that_failed_loses_its_updates(world, tmp_path, capsys):
    """One pull request per image: a pull request someone opened by hand holds the redis
    branch, so that group fails; podinfo's pull request is opened and its update counted."""
    env, fake = world
    redis_branch = "automator/clusters-prod/redis"
    fake.pulls[1] = {"number": 1, "state": "open", "title": "mine", "body": "opened by hand", "draft": False,
                     "head": redis_branch, "base": "main", "labels": [], "assignees": [], "reviewers": []}
    fake._next = 2

    code = run_pr(tmp_path, fake, "--pr-per", "image", "--json")

    document = json.loads(capsys.readouterr().out)
    assert code == ExitCode.WRITE_FAILED
    assert [(u["image"], u["to"]) for u in document["updates"]] == [("ghcr.io/acme/podinfo", "6.5.1")]
    [error] = document["errors"]
    assert error["message"].startswith(f"{redis_branch}: ") and "was not opened by Deployment Automator" in error["message"]
    assert sorted((p["branch"], p["action"]) for p in document["pull_requests"]) == [
        ("automator/clusters-prod/podinfo", "created"), (redis_branch, "failed")]
    variables = dotenv(tmp_path)
    assert (variables["AUTOMATOR_UPDATED"], variables["AUTOMATOR_PROBLEMS"]) == ("1", "1")


def test_a_report_that_cannot_be_written_does_not_hide_the_failed_pull_request(world, tmp_path, capsys, monkeypatch):
    """Both are errors; the run still ends with exit code 3, and its JSON says so."""
    _, fake = world
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_" + "z" * 36)

    code = run_pr(tmp_path, fake, "--json", "--dotenv", str(tmp_path / "nodir" / "automator.env"))

    document = json.loads(capsys.readouterr().out)
    assert code == document["exit_code"] == ExitCode.WRITE_FAILED
    assert [e["message"].split(":")[0] for e in document["errors"]] == ["cannot write the report " + str(tmp_path / "nodir" / "automator.env"), ALL]


def test_the_result_leaves_out_the_updates_of_a_failed_branch(tmp_path):
    """The value behind every report: ``written`` and ``reported`` hold what a pull request
    carries, ``problems`` one error per failed request."""
    (tmp_path / "app.yaml").write_text(deployment())
    plan = make_plan(tmp_path, FileTagSource.parse(json.dumps(tags(podinfo="6.5.1", redis="7.2.4")), "tags.json"), scan_path=tmp_path)
    podinfo, redis = sorted(plan.updates, key=lambda u: u.use.container)
    outcome = PullRequests(
        plan,
        (Outcome("created", "automator/podinfo"), Outcome("failed", "automator/redis", error="GitHub said 502")),
        (("automator/podinfo", (podinfo,)), ("automator/redis", (redis,))),
    )
    result = RunResult(plan, (outcome,))

    assert outcome.written == (podinfo,) and outcome.failed_updates == (redis,)
    assert [p.message for p in result.problems] == ["automator/redis: GitHub said 502"]
    assert result.reported.updates == (podinfo,) and result.written == (podinfo,)
    assert redis.use not in result.reported.uses, "neither updated nor left as it was"
    assert result.exit_code == ExitCode.WRITE_FAILED
    assert Plan(problems=result.problems).errors == result.problems
