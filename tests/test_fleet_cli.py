"""``automator fleet --help``: what a user reads before the first run, in-process (no git)."""

from __future__ import annotations

import argparse
import json
import re

import pytest

from automator.cli import build_parser, main


def test_help_shows_examples_and_every_exit_code_the_fleet_can_end_with(capsys):
    """A repository whose run breaks is reported with exit 70 (an internal error), and the
    fleet's exit code is the highest of all: the list names it with the others."""
    try:
        main(["fleet", "--help"])
    except SystemExit as done:
        assert done.code == 0
    text = capsys.readouterr().out
    assert "examples:" in text and "automator fleet fleet.yaml" in text
    codes = text[text.index("exit codes:"):]
    assert [code for code in ("0", "1", "2", "3", "70", "130") if not re.search(rf"\b{code} ", codes)] == []


def test_every_fleet_option_says_what_it_does():
    parser = build_parser(["fleet"])
    fleet = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices["fleet"]
    undocumented = [a.option_strings or a.dest for a in fleet._actions if not a.help]
    assert undocumented == []


def test_help_does_not_offer_the_write_options_a_fleet_refuses(capsys):
    """Each clone is deleted after its run (--no-push would throw its commit away) and has one
    remote, origin: run's help offers them, the fleet's does not, and given anyway they are
    refused with why."""
    with pytest.raises(SystemExit):
        main(["fleet", "--help"])
    text = capsys.readouterr().out
    assert "--no-push" not in text and "--remote" not in text
    assert "--branch B" in text and "--max-attempts N" in text  # the rest of the group stays
    assert main(["fleet", "fleet.yaml", "--no-push"]) == 2
    assert "--no-push with fleet: each repository's clone is deleted" in capsys.readouterr().err


def test_each_repository_that_ends_is_one_line_written_at_once(monkeypatch):
    """Workers end together: a line written in pieces (print writes the newline apart) could
    run into another worker's."""
    from automator.commands.fleet import _progress
    from automator.fleet.runner import RepositoryResult
    from automator.fleet.spec import FleetRepository

    writes = []
    monkeypatch.setattr("sys.stderr", type("Stderr", (), {"write": lambda self, text: writes.append(text), "flush": lambda self: None})())
    _progress(RepositoryResult(FleetRepository(url="https://github.com/acme/env.git"), exit_code=3))
    assert writes == ["  github.com/acme/env: exit 3\n"]


FLEET = """\
version: 1
defaults: {path: apps}
repositories:
  - url: https://bot:s3cr3t-token@127.0.0.1:9/acme/env-a.git
  - url: https://127.0.0.1:9/acme/env-b.git
    mode: pr
    paths: [eu, us]
  - url: https://127.0.0.1:9/acme/env-c.git
    ref: staging
  - url: https://127.0.0.1:9/acme/env-d.git
"""


def test_list_prints_each_shards_repositories_without_running_any(tmp_path, capsys):
    """Nothing listens at the URLs: a clone would fail, and --list exits 0. The shares of the
    shards are disjoint and together the whole fleet."""
    (tmp_path / "fleet.yaml").write_text(FLEET)
    shares = []
    for index in range(3):
        assert main(["fleet", str(tmp_path / "fleet.yaml"), "--list", "--shard", f"{index}/3"]) == 0
        out = capsys.readouterr().out
        assert out.startswith(f"fleet shard {index}/3: ")
        shares.append([line.split()[0] for line in out.splitlines()[1:]])
    assert sorted(sum(shares, [])) == ["127.0.0.1:9/acme/env-a", "127.0.0.1:9/acme/env-b", "127.0.0.1:9/acme/env-c@staging",
                                       "127.0.0.1:9/acme/env-d"]


def test_list_json_has_paths_and_the_mode_each_repository_would_run_with_and_no_credentials(tmp_path, capsys):
    (tmp_path / "fleet.yaml").write_text(FLEET)
    assert main(["fleet", str(tmp_path / "fleet.yaml"), "--list", "--json"]) == 0
    out = capsys.readouterr().out
    document = json.loads(out)
    assert (document["shard"], document["total"], document["discovery_error"]) == ("0/1", 4, None)
    listed = {r["name"]: (r["ref"], r["paths"], r["mode"]) for r in document["repositories"]}
    assert listed == {
        "127.0.0.1:9/acme/env-a": (None, ["apps"], "commit"),  # no mode in the file, no --pr: a commit
        "127.0.0.1:9/acme/env-b": (None, ["eu", "us"], "pr"),
        "127.0.0.1:9/acme/env-c": ("staging", ["apps"], "commit"),
        "127.0.0.1:9/acme/env-d": (None, ["apps"], "commit"),
    }
    assert document["repositories"][0]["source"].endswith("fleet.yaml:4")
    assert "s3cr3t-token" not in out and "bot" not in out


@pytest.mark.parametrize("report", ["--markdown", "--dotenv"])
def test_list_goes_with_json_not_with_a_report_file(tmp_path, capsys, report):
    (tmp_path / "fleet.yaml").write_text(FLEET)
    assert main(["fleet", str(tmp_path / "fleet.yaml"), "--list", report, str(tmp_path / "r.txt")]) == 2
    assert f"--list prints the repositories only; drop {report}" in capsys.readouterr().err
    assert not (tmp_path / "r.txt").exists()


def listed(capsys, *args: str) -> dict[str, str]:
    """name -> mode of the repositories ``fleet --list --json`` prints."""
    assert main(["fleet", *args, "--list", "--json"]) == 0
    return {r["name"]: r["mode"] for r in json.loads(capsys.readouterr().out)["repositories"]}


def test_with_pr_a_repository_without_mode_would_run_as_a_pull_request(tmp_path, capsys):
    (tmp_path / "fleet.yaml").write_text(FLEET)
    for flag in ("--pr", "--mr"):  # one option: a pull or merge request, as the forge calls it
        modes = listed(capsys, str(tmp_path / "fleet.yaml"), flag)
        assert set(modes.values()) == {"pr"}


def test_only_keeps_each_repository_on_the_shard_it_has_in_the_whole_fleet(tmp_path, capsys):
    (tmp_path / "fleet.yaml").write_text(FLEET)
    owner = {name: index for index in range(3) for name in listed(capsys, str(tmp_path / "fleet.yaml"), "--shard", f"{index}/3")}
    assert len(owner) == 4
    for name, index in owner.items():
        chosen = [listed(capsys, str(tmp_path / "fleet.yaml"), "--shard", f"{i}/3", "--only", name) for i in range(3)]
        assert [list(share) for share in chosen] == [[name] if i == index else [] for i in range(3)]


def test_remote_origin_is_the_clones_own_and_accepted(tmp_path, capsys):
    (tmp_path / "fleet.yaml").write_text(FLEET)
    assert len(listed(capsys, str(tmp_path / "fleet.yaml"), "--remote", "origin")) == 4


def test_a_failed_discovery_lists_the_fleet_files_repositories_with_exit_3(tmp_path, capsys, monkeypatch):
    """Nothing listens at the forge URL. A pattern naming a repository discovery would have
    found is then no usage error."""
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_" + "f" * 36)
    (tmp_path / "fleet.yaml").write_text(FLEET)
    code = main(["fleet", str(tmp_path / "fleet.yaml"), "--discover", "github:acme", "--topic", "gitops-env",
                 "--forge-url", "http://127.0.0.1:9", "--only", "*/env-a", "--only", "github.com/acme/found-*", "--list", "--json"])
    captured = capsys.readouterr()
    assert code == 3
    document = json.loads(captured.out)
    assert "cannot reach http://127.0.0.1:9" in document["discovery_error"]
    assert [r["name"] for r in document["repositories"]] == ["127.0.0.1:9/acme/env-a"]
    assert "listing the 4 repositories of the fleet file" in captured.err
