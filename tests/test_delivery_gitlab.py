"""The GitLab component as GitLab runs it: inputs interpolated into the jobs, the job's variables
and script run against a real repository with a bare remote; no shell splits the arguments."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from test_delivery_e2e import TAGS, automator_env, git, make_env_repo

from automator.ci import gitlab

ROOT = Path(__file__).resolve().parent.parent
COMPONENT = (ROOT / "templates/automator.yml").read_text()


def interpolate(inputs: dict) -> dict:
    """The jobs document with ``$[[ inputs.X ]]`` replaced as GitLab does (arrays as JSON)."""
    spec_text, jobs_text = COMPONENT.split("\n---\n")
    spec = YAML(typ="safe").load(spec_text)["spec"]["inputs"]
    values = {name: inputs.get(name, spec[name].get("default", "")) for name in spec}

    def render(match):
        value = values[match[1]]
        return json.dumps(value) if isinstance(value, list) else str(value)

    return YAML(typ="safe").load(re.sub(r"\$\[\[ inputs\.([\w-]+) \]\]", render, jobs_text))


def job_variables(jobs: dict, name: str) -> dict[str, str]:
    merged = dict(jobs[".automator"]["variables"])
    merged.update(jobs[name].get("variables", {}))
    return {k: str(v) for k, v in merged.items()}


@pytest.mark.parametrize(("text", "args"), [
    ("", []),
    ('["--label", "automated", "--message-template", "chore: bump {summary}"]',
     ["--label", "automated", "--message-template", "chore: bump {summary}"]),
    ("--mr --label 'two words'", ["--mr", "--label", "two words"]),
])
def test_extra_arguments_keep_their_items_whole(text, args):
    assert gitlab.extra_args(text) == args


@pytest.mark.parametrize(("text", "message"), [
    ('["--label", 3]', "array of strings"),
    ("[not json", "not a JSON array"),
    ("--label 'unclosed", "AUTOMATOR_ARGS"),
])
def test_bad_extra_arguments_name_the_variable(text, message):
    with pytest.raises(gitlab.VariableError, match=message):
        gitlab.extra_args(text)


def test_the_update_job_clones_the_project_branch_and_the_plan_job_is_a_dry_run():
    variables = {"CI_PROJECT_URL": "https://gitlab.example/acme/env", "CI_COMMIT_BRANCH": "main",
                 "AUTOMATOR_PATH": "clusters/prod", "AUTOMATOR_MODE": "mr", "AUTOMATOR_ARGS": '["--label", "a b"]'}
    assert gitlab.run_argv(variables) == [
        "run", "--repo=https://gitlab.example/acme/env.git", "--ref=main", "--mr",
        "--markdown=automator-report.md", "--dotenv=automator.env", "--label", "a b", "clusters/prod"]
    assert gitlab.run_argv(variables, plan=True)[:2] == ["run", "--dry-run"]
    assert "--repo=https://gitlab.example/acme/env.git" not in gitlab.run_argv(variables, plan=True)


def test_images_pushed_upstream_make_the_update_job_event_driven():
    variables = {"CI_PROJECT_URL": "https://gitlab.example/acme/env", "AUTOMATOR_PATH": "clusters/prod",
                 "AUTOMATOR_PUSHED": "registry.example/acme/app:1.4.2\n registry.example/acme/api:2.0.0 "}
    argv = gitlab.run_argv(variables)
    assert [a for a in argv if a.startswith("--pushed")] == [
        "--pushed=registry.example/acme/app:1.4.2", "--pushed=registry.example/acme/api:2.0.0"]
    from automator.cli import build_parser

    parsed = build_parser(["run"]).parse_args(argv)
    assert parsed.pushed == ["registry.example/acme/app:1.4.2", "registry.example/acme/api:2.0.0"]


def test_a_mode_other_than_commit_or_mr_is_refused():
    with pytest.raises(gitlab.VariableError, match="AUTOMATOR_MODE must be commit or mr, not 'pr'"):
        gitlab.run_argv({"AUTOMATOR_MODE": "pr"})


def test_the_interpolated_component_is_a_valid_pipeline_with_the_chosen_stage():
    jobs = interpolate({"stage": "environments", "args": ["--label", "x"], "report": "r.md"})
    assert jobs[".automator"]["stage"] == "environments"
    assert jobs[".automator"]["variables"]["AUTOMATOR_ARGS"] == '["--label", "x"]'
    assert jobs[".automator"]["artifacts"]["paths"] == ["r.md"]


def run_job(jobs: dict, name: str, tmp_path: Path, **ci: str) -> subprocess.CompletedProcess:
    (tmp_path / "project").mkdir(exist_ok=True)
    env = automator_env(tmp_path, **{"GITLAB_CI": "true", "CI": "true", "CI_PROJECT_DIR": str(tmp_path / "project"), **ci})
    env.update({k: v.replace("$CI_PROJECT_DIR", str(tmp_path / "project")) for k, v in job_variables(jobs, name).items()})
    (script,) = jobs[name]["script"]
    return subprocess.run([sys.executable, *script.split()[1:]], cwd=tmp_path / "project", env=env,
                          capture_output=True, text=True, timeout=120)


def test_the_update_job_commits_and_leaves_both_reports_at_the_input_paths(tmp_path):
    work = make_env_repo(tmp_path)
    (tmp_path / "tags.json").write_text(json.dumps(TAGS))
    jobs = interpolate({"path": "envs/prod/web.yaml", "report": "out/report.md", "dotenv": "out/update.env",
                        "args": ["--tags-from", str(tmp_path / "tags.json"), "--message-template", "chore: images {summary}"]})
    (tmp_path / "project" / "out").mkdir(parents=True)
    done = run_job(jobs, "automator:update", tmp_path, CI_PROJECT_URL=str(tmp_path / "remote"), CI_COMMIT_BRANCH="main")
    assert done.returncode == 0, done.stdout + done.stderr
    remote = tmp_path / "remote.git"
    assert git("log", "-1", "--format=%s", "main", cwd=remote).startswith("chore: images ")
    report = (tmp_path / "project/out/report.md").read_text()
    assert "`1.2.0` -> `1.3.0`" in report
    values = dict(line.split("=", 1) for line in (tmp_path / "project/out/update.env").read_text().splitlines())
    assert values["AUTOMATOR_UPDATED"] == "1" and values["AUTOMATOR_COMMIT"] == git("rev-parse", "main", cwd=remote)
    assert values["AUTOMATOR_DRY_RUN"] == "false" and report.startswith("### Image updates\n")
    assert os.stat(tmp_path / "project/out/update.env").st_mode & 0o044 == 0o044  # readable by the next job
    assert git("status", "--porcelain", cwd=work) == ""


def test_the_plan_job_writes_nothing_but_its_reports_which_say_dry_run(tmp_path):
    work = make_env_repo(tmp_path)
    before = git("rev-parse", "main", cwd=tmp_path / "remote.git")
    (tmp_path / "tags.json").write_text(json.dumps(TAGS))
    jobs = interpolate({"path": str(work / "envs/prod/web.yaml"), "args": ["--tags-from", str(tmp_path / "tags.json")]})
    done = run_job(jobs, "automator:plan", tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    report = (tmp_path / "project/automator-report.md").read_text()
    assert report.startswith("### Image updates — dry run — nothing written\n") and "`1.2.0` -> `1.3.0`" in report
    values = dict(line.split("=", 1) for line in (tmp_path / "project/automator.env").read_text().splitlines())
    assert (values["AUTOMATOR_DRY_RUN"], values["AUTOMATOR_UPDATED"], values["AUTOMATOR_COMMIT"]) == ("true", "1", "")
    assert git("rev-parse", "main", cwd=tmp_path / "remote.git") == before
    assert git("status", "--porcelain", cwd=work) == ""


def test_the_plan_job_reads_a_checkout_the_runner_made_as_another_user(tmp_path):
    """GitLab's helper makes the checkout as another user than the image's (uid 10001), and git
    refuses such a repository ("dubious ownership") unless safe.directory names it: the plan
    job trusts CI_PROJECT_DIR, and nothing else. (git's own test switch stands in for a
    checkout of another uid.)"""
    work = make_env_repo(tmp_path)
    (tmp_path / "tags.json").write_text(json.dumps(TAGS))
    jobs = interpolate({"path": str(work / "envs/prod/web.yaml"), "args": ["--tags-from", str(tmp_path / "tags.json")]})
    done = run_job(jobs, "automator:plan", tmp_path, CI_PROJECT_DIR=str(work), GIT_TEST_ASSUME_DIFFERENT_OWNER="1")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "`1.2.0` -> `1.3.0`" in (tmp_path / "project/automator-report.md").read_text()
    elsewhere = run_job(jobs, "automator:plan", tmp_path, CI_PROJECT_DIR=str(tmp_path / "project"), GIT_TEST_ASSUME_DIFFERENT_OWNER="1")
    assert elsewhere.returncode == 2 and "dubious ownership" in elsewhere.stderr


def test_the_trusted_checkout_is_added_to_the_jobs_own_git_configuration():
    assert gitlab.trust_checkout({"CI_PROJECT_DIR": "/builds/acme/env"}) == {
        "GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "safe.directory", "GIT_CONFIG_VALUE_0": "/builds/acme/env"}
    assert gitlab.trust_checkout({"CI_PROJECT_DIR": "/b", "GIT_CONFIG_COUNT": "2"})["GIT_CONFIG_KEY_2"] == "safe.directory"
    assert gitlab.trust_checkout({}) == {}


def test_with_the_repo_input_the_plan_job_is_a_dry_run_of_that_repository():
    """A platform project that updates another repository (repo input) plans that repository,
    not its own checkout, where the path usually does not exist."""
    variables = {"CI_PROJECT_URL": "https://gitlab.example/acme/platform", "CI_COMMIT_BRANCH": "feature",
                 "AUTOMATOR_REPO": "https://gitlab.example/acme/env.git", "AUTOMATOR_REF": "main", "AUTOMATOR_PATH": "clusters/staging"}
    assert gitlab.run_argv(variables, plan=True) == [
        "run", "--dry-run", "--repo=https://gitlab.example/acme/env.git", "--ref=main",
        "--markdown=automator-report.md", "--dotenv=automator.env", "clusters/staging"]
    without_ref = {k: v for k, v in variables.items() if k != "AUTOMATOR_REF"}  # the repository's default branch
    assert "--ref=feature" not in gitlab.run_argv(without_ref, plan=True)


def test_a_bad_variable_stops_the_job_with_usage_exit_code(tmp_path):
    jobs = interpolate({"args": []})
    jobs[".automator"]["variables"]["AUTOMATOR_MODE"] = "merge"
    done = run_job(jobs, "automator:update", tmp_path)
    assert done.returncode == 2
    assert "AUTOMATOR_MODE must be commit or mr, not 'merge'" in done.stderr
