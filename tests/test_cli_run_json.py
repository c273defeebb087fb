"""``automator run --json``: one JSON object per run (per attempt with --every), also for a run
whose write-back failed, each with its exit code; warnings on stderr, errors in the JSON."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

from git_helpers import (
    clone,
    deployment,
    isolated_git,  # noqa: F401  (autouse fixture)
    make_remote,
    write_tags,
)

import automator.writeback.run
from automator.cli import main

APP = "registry.example/team/app"
TYPO = '    automator.dev/polcy: "semver:^1"\n'  # an unknown annotation: a warning


def env_repo(tmp_path: Path, app: str = deployment("app", f"{APP}:1.0.0")) -> tuple[Path, Path]:
    bare = make_remote(tmp_path, {"apps/app.yaml": app})
    write_tags(tmp_path / "tags.json", {APP: ["1.0.0", "1.1.0"]})
    return bare, clone(bare, tmp_path / "work")


def refuse_pushes(bare: Path) -> None:
    hook = bare / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'direct pushes to main are disabled' >&2\nexit 1\n")
    hook.chmod(0o755)


def stop_at_attempt(number: int, monkeypatch) -> None:
    """SIGTERM at the start of attempt ``number``: the loop stops before it, exit 0."""
    attempts = []
    real = automator.writeback.run.run_once

    def counted(settings, ctx):
        attempts.append(1)
        if len(attempts) == number:
            os.kill(os.getpid(), signal.SIGTERM)
        return real(settings, ctx)

    monkeypatch.setattr(automator.writeback.run, "run_once", counted)


def test_a_refused_push_prints_its_json_object_with_the_error_and_exit_code_3(tmp_path, capsys):
    bare, work = env_repo(tmp_path)
    refuse_pushes(bare)

    code = main(["run", str(work / "apps"), "--tags-from", str(tmp_path / "tags.json"), "--json"])

    out, err = capsys.readouterr()
    assert code == 3
    document = json.loads(out)
    assert document["updates"] == [] and document["exit_code"] == 3
    [error] = document["errors"]
    assert set(error) == {"file", "image", "message"} and "direct pushes to main are disabled" in error["message"]
    assert "direct pushes to main are disabled" in err


def test_every_failed_attempt_of_a_loop_is_one_json_line(tmp_path, monkeypatch, capsys):
    bare, work = env_repo(tmp_path)
    refuse_pushes(bare)
    stop_at_attempt(3, monkeypatch)

    code = main(["run", str(work / "apps"), "--tags-from", str(tmp_path / "tags.json"), "--json", "--every", "0.01"])

    assert code == 0
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["exit_code"] for line in lines] == [3, 3]


def test_a_successful_run_says_its_exit_code_too(tmp_path, capsys):
    _, work = env_repo(tmp_path)

    assert main(["run", str(work / "apps"), "--tags-from", str(tmp_path / "tags.json"), "--json", "--dry-run"]) == 0

    document = json.loads(capsys.readouterr().out)
    assert document["exit_code"] == 0 and document["updates"][0]["to"] == "1.1.0"


def test_warnings_of_a_json_run_go_to_stderr_and_stay_out_of_the_errors(tmp_path, capsys):
    app = deployment("app", f"{APP}:1.0.0").replace("    fluxcd.io/automated", TYPO + "    fluxcd.io/automated")
    _, work = env_repo(tmp_path, app)

    code = main(["run", str(work / "apps"), "--tags-from", str(tmp_path / "tags.json"), "--json", "--dry-run"])

    out, err = capsys.readouterr()
    assert code == 0
    assert json.loads(out)["errors"] == []
    assert "warning: apps/app.yaml:6: unknown annotation automator.dev/polcy" in err


def test_a_refused_push_still_leaves_its_report_files_for_later_jobs(tmp_path, capsys):
    """A GitLab job's dotenv and Markdown reports (and the Action's outputs) say what happened:
    nothing updated, one problem; without them a later job reads no variable at all."""
    bare, work = env_repo(tmp_path)
    refuse_pushes(bare)
    dotenv, markdown = tmp_path / "automator.env", tmp_path / "report.md"

    code = main(["run", str(work / "apps"), "--tags-from", str(tmp_path / "tags.json"), "--dotenv", str(dotenv), "--markdown", str(markdown)])

    assert code == 3
    variables = dict(line.split("=", 1) for line in dotenv.read_text().splitlines())
    assert (variables["AUTOMATOR_UPDATED"], variables["AUTOMATOR_PROBLEMS"]) == ("0", "1")
    assert "direct pushes to main are disabled" in markdown.read_text()
