"""The fleet examples a user copies first, ``automator fleet --help`` and docs/fleet.md, work
on their own fleet file: each ``--only`` pattern picks a repository of it, and the ``--list``
sample of the docs is what the tool prints for that file, line for line."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from automator.cli import main
from automator.commands.fleet import EPILOG

DOCS = Path(__file__).resolve().parent.parent / "docs" / "fleet.md"


def help_fleet_file() -> str:
    """The fleet file the help shows, as a file: its lines under "fleet file (...):"."""
    block = EPILOG.split(":\n", 1)[1].split("\n\n", 1)[0]
    return "\n".join(line[2:] for line in block.splitlines()) + "\n"


def docs_fleet_file() -> str:
    section = DOCS.read_text().split("## The fleet file", 1)[1]
    return re.search(r"```yaml\n(.*?)```", section, re.DOTALL)[1]


def listed(capsys, fleet_file: str, tmp_path: Path, monkeypatch, argv: list[str]) -> tuple[int, str]:
    (tmp_path / "fleet.yaml").write_text(fleet_file)
    monkeypatch.chdir(tmp_path)
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out + err


@pytest.mark.parametrize("example", [line for line in EPILOG.splitlines() if "--only" in line])
def test_each_only_example_of_the_help_picks_a_repository_of_the_helps_fleet_file(example, capsys, tmp_path, monkeypatch):
    argv = shlex.split(example.split("(")[0])[1:]  # the command, without "automator" and the remark
    code, output = listed(capsys, help_fleet_file(), tmp_path, monkeypatch, [*argv, "--list"])
    assert code == 0, output
    assert "fleet shard 0/1: 1 of 2 repositories" in output


def test_the_list_samples_of_the_docs_are_the_output_for_the_docs_fleet_file(capsys, tmp_path, monkeypatch):
    """A sample is a command line and the lines printed, each after "# "."""
    sample = next(block for block in re.findall(r"```sh\n(.*?)```", DOCS.read_text(), re.DOTALL) if "--list" in block)
    commands = re.findall(r"^(automator fleet .*?)(?:[ \t]+#.*)?\n((?:#.*\n)+)", sample, re.MULTILINE)
    assert len(commands) >= 2
    for command, printed in commands:
        code, output = listed(capsys, docs_fleet_file(), tmp_path, monkeypatch, shlex.split(command)[1:])
        assert code == 0, output
        assert output == "".join(line[2:] + "\n" for line in printed.splitlines()), command
