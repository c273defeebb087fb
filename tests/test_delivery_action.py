"""action.yml and the CLI never drift: every input reaches a real `automator run` flag."""

from __future__ import annotations

import argparse
import base64
import json
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from automator.ci import action as entry
from automator.errors import UsageError, registered_secrets

ROOT = Path(__file__).resolve().parent.parent
ACTION = YAML(typ="safe").load((ROOT / "action.yml").read_text())


def run_parser() -> argparse.ArgumentParser:
    pytest.importorskip("automator.commands.run", reason="automator run is not on this branch yet")
    from automator.cli import build_parser

    parser = build_parser(["run"])
    (subparsers,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return subparsers.choices["run"]


def test_action_inputs_and_the_mapping_table_name_the_same_inputs():
    assert list(ACTION["inputs"]) == list(entry.ACTION_INPUTS)


def test_every_mapped_argument_list_parses_as_automator_run_arguments():
    argv = [
        "--pr", "--tags-from", "t.json", "--label", "a", "--reviewer", "b", "--assignee", "c", "--draft",
        "--auto-merge", "squash", "--pr-per", "image", "--max-attempts", "3", "envs/prod",
    ]
    environ = inputs(
        mode="pr", tags_file="t.json", labels="a", reviewers="b", assignees="c", draft="true",
        auto_merge="squash", pr_per="image", max_attempts="3", path="envs/prod",
    )
    mapped, _ = entry.action_argv(environ)
    assert sorted(mapped) == sorted(argv)
    parsed = run_parser().parse_args(mapped)
    assert (parsed.pr, parsed.draft, parsed.auto_merge, parsed.pr_per, parsed.path) == (True, True, "squash", "image", "envs/prod")


def test_every_flag_in_the_mapping_is_a_real_flag_of_automator_run():
    options = {s for action in run_parser()._actions for s in action.option_strings}
    flags = {spec.flag for spec in entry.ACTION_INPUTS.values() if spec.flag}
    flags |= {flag for spec in entry.ACTION_INPUTS.values() for _, flag in spec.choices if flag}
    assert flags - options == set()


def test_run_takes_a_path_argument_for_the_path_input():
    positionals = [a.dest for a in run_parser()._actions if not a.option_strings]
    assert any("path" in dest for dest in positionals), positionals


def test_only_secrets_travel_outside_flags():
    outside = {name for name, spec in entry.ACTION_INPUTS.items() if spec.kind in ("env", "registry")}
    assert outside == {"token", "registry", "registry-username", "registry-password"}


def test_the_run_step_passes_every_input_and_nothing_else():
    (step,) = [s for s in ACTION["runs"]["steps"] if s.get("id") == "run"]
    expected = {entry.input_variable(name): "${{ inputs." + name + " }}" for name in ACTION["inputs"]}
    assert step["env"] == expected
    assert "automator.ci.action" in step["run"]


def test_outputs_are_read_from_the_run_step_and_written_by_publish():
    from automator.model import Plan
    from automator.report.records import run_outputs

    written = set(run_outputs(Plan()))
    for name, output in ACTION["outputs"].items():
        assert output["value"] == "${{ steps.run.outputs." + name + " }}"
        assert name in written
    assert {"updated", "updates", "pr-url"} <= set(ACTION["outputs"])
    assert set(ACTION["outputs"]) == written, "every output the run writes is an output of the action"


def test_composite_action_installs_the_package_from_the_action_path():
    assert ACTION["runs"]["using"] == "composite"
    install = ACTION["runs"]["steps"][0]["run"]
    assert '"$GITHUB_ACTION_PATH"' in install and "pip install" in install
    assert all(step.get("shell") == "bash" for step in ACTION["runs"]["steps"])


def test_every_input_is_described_with_its_flag():
    for name, spec in entry.ACTION_INPUTS.items():
        description = ACTION["inputs"][name]["description"]
        for flag in [spec.flag, *(f for _, f in spec.choices)]:
            if flag:
                assert flag in description, (name, flag)


# --- turning inputs into arguments ------------------------------------------------------------


def inputs(**values: str) -> dict[str, str]:
    return {entry.input_variable(k.replace("_", "-")): v for k, v in values.items()}


@pytest.mark.parametrize(
    ("given", "argv"),
    [
        ({}, []),
        ({"path": "envs/prod"}, ["envs/prod"]),
        ({"path": "envs/prod", "tags_file": "tags.json"}, ["--tags-from", "tags.json", "envs/prod"]),
        ({"dry_run": "false", "verbose": "true"}, ["--verbose"]),
        ({"dry_run": "true"}, ["--dry-run"]),
        ({"mode": "commit"}, []),
        ({"path": "envs/prod", "mode": "pr", "draft": "true"}, ["--pr", "--draft", "envs/prod"]),
        ({"labels": "automated, images\nprod"}, ["--label", "automated", "--label", "images", "--label", "prod"]),
        ({"reviewers": "alice,acme/sre", "auto_merge": "squash"}, ["--reviewer", "alice", "--reviewer", "acme/sre", "--auto-merge", "squash"]),
        ({"insecure_registries": "reg.local:5000, 10.0.0.1\nlab:80"}, ["--insecure-registry", "reg.local:5000", "--insecure-registry", "10.0.0.1", "--insecure-registry", "lab:80"]),
        ({"message_template": "chore: {summary}", "branch": "env/prod"}, ["--branch", "env/prod", "--message-template", "chore: {summary}"]),
    ],
)
def test_inputs_become_run_arguments(given, argv):
    assert entry.action_argv(inputs(**given))[0] == argv


@pytest.mark.parametrize(
    ("given", "message"),
    [({"mode": "merge"}, "one of commit, pr, not 'merge'"), ({"verbose": "1"}, "true or false"), ({"dry_run": "yes"}, "true or false")],
)
def test_bad_input_values_are_usage_errors_naming_the_input(given, message):
    with pytest.raises(UsageError, match=message):
        entry.action_argv(inputs(**given))


def test_token_goes_to_the_environment_and_is_registered_as_a_secret():
    argv, env = entry.action_argv(inputs(token="ghs_abcdefghijklmnopqrstuvwxyz0123"))
    assert argv == [] and env == {"GITHUB_TOKEN": "ghs_abcdefghijklmnopqrstuvwxyz0123"}
    assert "ghs_abcdefghijklmnopqrstuvwxyz0123" in registered_secrets()


def test_registry_credentials_are_merged_into_a_private_docker_config(tmp_path):
    home = tmp_path / "home"
    (home / ".docker").mkdir(parents=True)
    (home / ".docker" / "config.json").write_text(json.dumps({"auths": {"quay.io": {"auth": "eDp5"}}}))
    environ = {"HOME": str(home), **inputs(registry="ghcr.io", registry_username="bot", registry_password="pa55-w0rd")}
    directory = entry.docker_config(environ, tmp_path / "cfg")
    config = json.loads((directory / "config.json").read_text())
    assert config["auths"]["quay.io"] == {"auth": "eDp5"}
    assert base64.b64decode(config["auths"]["ghcr.io"]["auth"]) == b"bot:pa55-w0rd"
    assert (directory / "config.json").stat().st_mode & 0o077 == 0
    assert "pa55-w0rd" in registered_secrets()


def test_registry_password_without_registry_is_refused(tmp_path):
    with pytest.raises(UsageError, match="registry-username"):
        entry.docker_config(inputs(registry_password="x"), tmp_path)


def test_bad_input_in_the_action_entry_is_an_error_annotation(capsys, tmp_path):
    code = entry.main({"RUNNER_TEMP": str(tmp_path), **inputs(dry_run="maybe")})
    assert code == 2
    *masks, last = capsys.readouterr().out.splitlines()
    assert last == "::error title=automator::automator action: input 'dry-run' must be true or false, not 'maybe'"
    assert all(line.startswith("::add-mask::") for line in masks)
    assert list(tmp_path.iterdir()) == []


def test_an_unreadable_docker_config_is_an_error_annotation_naming_the_file(capsys, tmp_path):
    home = tmp_path / "home"
    (home / ".docker").mkdir(parents=True)
    (home / ".docker" / "config.json").write_text("{not json")
    environ = {"HOME": str(home), "RUNNER_TEMP": str(tmp_path / "runner"),
               **inputs(registry="ghcr.io", registry_username="bot", registry_password="pa55-w0rd-2")}
    (tmp_path / "runner").mkdir()
    code = entry.main(environ)
    out = capsys.readouterr().out
    assert code == 2
    masks = [line for line in out.splitlines() if line.startswith("::add-mask::")]
    assert masks and "pa55-w0rd-2" not in out.replace("::add-mask::pa55-w0rd-2", "")
    last = out.splitlines()[-1]
    assert last.startswith("::error title=automator::automator action: ")
    assert str(home / ".docker" / "config.json") in last
    assert list((tmp_path / "runner").iterdir()) == []
