"""``automator run --json``: a report file that cannot be written (``--dotenv`` into a directory
that does not exist) is an error of the run. The report files are written first, so the JSON
printed says that error and the exit code the process ends with; with ``--every`` each line
agrees with the health file."""

from __future__ import annotations

import json
import os
import signal

from git_helpers import (
    clone,
    deployment,
    isolated_git,  # noqa: F401  (autouse fixture)
    make_remote,
    write_tags,
)

import automator.schedule
import automator.writeback.run
from automator.cli import main
from automator.errors import ExitCode

APP = "registry.example/team/app"


def env_repo(tmp_path):
    bare = make_remote(tmp_path, {"apps/app.yaml": deployment("app", f"{APP}:1.0.0")})
    write_tags(tmp_path / "tags.json", {APP: ["1.0.0", "1.1.0"]})
    return clone(bare, tmp_path / "work")


def test_the_json_says_the_exit_code_the_run_ends_with_when_a_report_fails(tmp_path, capsys):
    work = env_repo(tmp_path)
    missing = tmp_path / "nodir" / "automator.env"

    code = main(["run", str(work / "apps"), "--tags-from", str(tmp_path / "tags.json"), "--dry-run", "--json", "--dotenv", str(missing)])

    out, err = capsys.readouterr()
    document = json.loads(out)
    assert code == document["exit_code"] == ExitCode.PARTIAL
    [error] = document["errors"]
    assert error["message"].startswith(f"cannot write the report {missing}: No such file or directory")
    assert [u["to"] for u in document["updates"]] == ["1.1.0"], "the run itself was done"
    assert f"cannot write the report {missing}" in err


def test_every_line_of_a_loop_agrees_with_the_health_file(tmp_path, capsys, monkeypatch):
    work = env_repo(tmp_path)
    real_run, attempts = automator.writeback.run.run_once, []
    real_health, recorded = automator.schedule.write_health, []

    def stop_at_the_third(settings, ctx):
        attempts.append(1)
        if len(attempts) == 3:
            os.kill(os.getpid(), signal.SIGTERM)
        return real_run(settings, ctx)

    def health(path, status, **fields):
        recorded.append((status, fields.get("exit_code")))
        real_health(path, status, **fields)

    monkeypatch.setattr(automator.writeback.run, "run_once", stop_at_the_third)
    monkeypatch.setattr(automator.schedule, "write_health", health)

    main(["run", str(work / "apps"), "--tags-from", str(tmp_path / "tags.json"), "--dry-run", "--json",
          "--dotenv", str(tmp_path / "nodir" / "automator.env"), "--every", "0.01", "--health-file", str(tmp_path / "health")])

    lines = [json.loads(line)["exit_code"] for line in capsys.readouterr().out.splitlines()]
    after_each_attempt = [code for status, code in recorded if status not in ("running", "stopped")]
    assert lines == after_each_attempt[:2] == [ExitCode.PARTIAL, ExitCode.PARTIAL]
