"""Reports that other steps read.

* ``--dotenv -`` and ``--markdown -`` make stdout that report alone, so ``automator scan
  --dotenv - > build.env`` is a clean dotenv file: the text the command prints otherwise (the
  table, the updated files, the diff of a dry run) goes to stderr.
* ``scan`` writes nothing, so it reports as a dry run: ``dry-run=true`` in the GitHub step
  outputs, ``AUTOMATOR_DRY_RUN=true`` in the dotenv, a summary that says "would change".
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from automator.cli import main

APP = "ghcr.io/acme/app"
POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: app
  annotations:
    automator.dev/policy: "semver:^1"
spec:
  containers:
    - name: app
      image: ghcr.io/acme/app:1.0.0
"""
KEY_VALUE = re.compile(r"^[A-Z_]+=")


@pytest.fixture
def env(tmp_path: Path) -> Path:
    (tmp_path / "env").mkdir()
    (tmp_path / "env" / "app.yaml").write_text(POD)
    (tmp_path / "tags.yaml").write_text(f'{APP}: ["1.0.0", "1.1.0"]\n')
    return tmp_path


def command(env: Path, name: str, *extra: str) -> list[str]:
    return [name, str(env / "env"), "--tags-from", str(env / "tags.yaml"), *extra]


@pytest.mark.parametrize("name", ["scan", "update"])
def test_dotenv_on_stdout_is_a_clean_dotenv_file(env, capsys, name):
    assert main(command(env, name, "--dotenv", "-")) == 0

    out, err = capsys.readouterr()
    assert out and all(KEY_VALUE.match(line) for line in out.splitlines()), out
    assert "AUTOMATOR_UPDATED=1" in out.splitlines()
    assert "1.0.0 -> 1.1.0" in err, "the text is still shown, on stderr"


def test_the_diff_of_a_dry_run_update_goes_to_stderr_when_the_dotenv_is_on_stdout(env, capsys):
    assert main(command(env, "update", "--dry-run", "--dotenv", "-")) == 0

    out, err = capsys.readouterr()
    assert out and all(KEY_VALUE.match(line) for line in out.splitlines()), out
    assert "+      image: ghcr.io/acme/app:1.1.0" in err


def test_markdown_on_stdout_is_the_markdown_alone(env, capsys):
    assert main(command(env, "scan", "--markdown", "-")) == 0

    out, err = capsys.readouterr()
    assert out.startswith("### Image updates") and "FILE:LINE" not in out
    assert "FILE:LINE" in err


def test_without_a_report_on_stdout_the_table_stays_on_stdout(env, capsys):
    assert main(command(env, "scan", "--dotenv", str(env / "automator.env"))) == 0

    assert capsys.readouterr().out.startswith("FILE:LINE")


def test_scan_reports_as_a_dry_run_everywhere(env, capsys, monkeypatch):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_OUTPUT", str(env / "github-output"))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(env / "summary.md"))
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)

    assert main(command(env, "scan", "--dotenv", str(env / "automator.env"), "--markdown", str(env / "plan.md"))) == 0

    assert "AUTOMATOR_DRY_RUN=true" in (env / "automator.env").read_text().splitlines()
    outputs = (env / "github-output").read_text()
    assert re.search(r"dry-run<<(\S+)\ntrue\n\1", outputs), outputs
    summary = (env / "summary.md").read_text()
    assert "dry run — nothing written" in summary and "1 image update would change 1 file(s)." in summary
    assert "dry run" in (env / "plan.md").read_text().splitlines()[0]
