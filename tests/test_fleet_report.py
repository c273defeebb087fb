"""The fleet reports: the JSON document has the documented shape for every path, failed ones
too, and no credential of a repository URL reaches any report, whatever the message."""

from __future__ import annotations

import json

from automator.fleet.report import fleet_document, fleet_markdown, fleet_outputs, fleet_text
from automator.fleet.runner import FleetResult, PathResult, RepositoryResult
from automator.fleet.spec import parse_fleet

TOKEN = "ghp_" + "s" * 36


def fleet_with(*urls: str):
    return parse_fleet("version: 1\nrepositories:\n" + "".join(f"  - url: {url}\n" for url in urls)).repositories


def test_a_failed_path_has_the_fields_of_every_path_in_the_json_document():
    (repository,) = fleet_with("https://git.example.com/acme/env.git")
    result = FleetResult("0/1", (RepositoryResult(repository, (PathResult("no/such/dir", error="no/such/dir does not exist", exit_code=2),), exit_code=2),))
    (path,) = fleet_document(result)["repositories"][0]["paths"]
    assert path["updates"] == [] and path["exit_code"] == 2
    assert [e["message"] for e in path["errors"]] == ["no/such/dir does not exist"]


def test_credentials_in_a_url_never_reach_a_report():
    https, ssh = fleet_with(f"https://x-access-token:{TOKEN}@git.example.com/acme/a.git", "ssh://git:hunter2-pw@git.example.com/acme/b.git")
    result = FleetResult("0/1", (
        RepositoryResult(https, error=f"internal error: CalledProcessError: git clone https://x-access-token:{TOKEN}@git.example.com/acme/a.git", exit_code=70),
        RepositoryResult(ssh, (PathResult("prod", error="push to ssh://git:hunter2-pw@git.example.com/acme/b.git refused", exit_code=3),), exit_code=3),
    ))
    for report in (fleet_text(result), json.dumps(fleet_document(result)), fleet_markdown(result)):
        assert TOKEN not in report and "hunter2-pw" not in report


def test_a_failed_discovery_is_a_problem_in_every_report():
    (repository,) = fleet_with("https://git.example.com/acme/env.git")
    result = FleetResult("0/1", (RepositoryResult(repository, (), exit_code=0),), discovery_error="cannot discover: 401 Bad credentials",
                         discovery_exit_code=3)
    assert result.exit_code == 3
    assert "discovery FAILED: cannot discover: 401 Bad credentials" in fleet_text(result)
    assert fleet_document(result)["discovery_error"] == "cannot discover: 401 Bad credentials"
    assert "only the fleet file's repositories ran" in fleet_markdown(result)
    assert fleet_outputs(result)["problems"] == "1"


def test_a_dry_run_says_so_in_every_report_and_output():
    (repository,) = fleet_with("https://git.example.com/acme/env.git")
    result = FleetResult("0/1", (RepositoryResult(repository, ()),), dry_run=True)
    assert "(dry run: nothing written)" in fleet_text(result)
    assert fleet_document(result)["dry_run"] is True
    assert "A dry run: the updates are what would change" in fleet_markdown(result)
    assert fleet_outputs(result)["dry-run"] == "true"
    assert fleet_outputs(FleetResult("0/1", ()))["dry-run"] == "false"


def test_a_pull_request_that_failed_is_a_problem_in_every_report():
    from automator.forge.ensure import Outcome
    from automator.model import Plan
    from automator.result import PullRequests, RunResult

    (repository,) = fleet_with("https://github.com/acme/env-prod.git")
    refused = Outcome("failed", "automator/clusters-prod/all", error="GitHub refused to list pull requests (401): no token was given")
    run = RunResult(Plan(), (PullRequests(Plan(), (refused,)),))
    result = FleetResult("0/1", (RepositoryResult(repository, (PathResult("clusters/prod", run, exit_code=run.exit_code),), exit_code=3),))
    assert "    error: automator/clusters-prod/all: GitHub refused to list pull requests (401): no token was given" in fleet_text(result)
    assert "no token was given" in fleet_markdown(result).splitlines()[-1]
    assert fleet_outputs(result)["problems"] == "1"
