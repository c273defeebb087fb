"""What the command line says when it is given something it cannot use, and the shape of a
loop's JSON output."""

from __future__ import annotations

import json
import os
import signal

import pytest
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


@pytest.mark.parametrize(
    ("content", "wrong"),
    [
        ("{}", "no numeric `timestamp`"),
        ('{"timestamp": "yesterday"}', "no numeric `timestamp`"),
        ("[1, 2]", "a JSON list, not an object"),
        ("status: ok", "not JSON"),
    ],
)
def test_health_says_what_is_wrong_with_a_file_that_is_no_health_record(tmp_path, capsys, content, wrong):
    record = tmp_path / "health.json"
    record.write_text(content)

    assert main(["health", str(record)]) == 1

    assert capsys.readouterr().err == (
        f"{record} is not a health record written by `automator run --health-file`: {wrong}\n")


def test_select_without_a_policy_says_only_policy_is_required_and_where_tags_come_from(capsys):
    with pytest.raises(SystemExit) as exit:
        main(["select"])

    assert exit.value.code == 2
    message = capsys.readouterr().err.splitlines()[-1]
    assert message == ("automator select: error: the following arguments are required: POLICY; "
                       "the tags come from TAG arguments or, without any, from stdin (one per line)")


def test_run_every_json_prints_one_compact_json_object_per_attempt_a_line(tmp_path, monkeypatch, capsys):
    bare = make_remote(tmp_path, {"apps/app.yaml": deployment("app", f"{APP}:1.0.0")})
    work = clone(bare, tmp_path / "work")
    tags = write_tags(tmp_path / "tags.json", {APP: ["1.0.0", "1.1.0"]})
    attempts = []
    real = automator.writeback.run.run_once

    def two_attempts(settings, ctx):
        attempts.append(1)
        if len(attempts) == 3:
            os.kill(os.getpid(), signal.SIGTERM)  # the loop stops, exit 0
        return real(settings, ctx)

    monkeypatch.setattr(automator.writeback.run, "run_once", two_attempts)

    assert main(["run", str(work / "apps"), "--tags-from", str(tags), "--dry-run", "--json", "--every", "0.01"]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert [json.loads(line)["updates"][0]["to"] for line in lines] == ["1.1.0", "1.1.0"]
