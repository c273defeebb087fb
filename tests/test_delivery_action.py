"""action.yml and the CLI never drift: every input reaches a real `automator run` flag."""

from __future__ import annotations

import argparse
import base64
import json
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from automator.ci import action as entry
from automator.errors import UsageError, registered_secrets  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
ACTION = YAML(typ="safe").load((ROOT / "action.yml").read_text())


def run_parser(command: str = "run") -> argparse.ArgumentParser:
    pytest.importorskip("automator.commands.run", reason="automator run is not on this branch yet")
    from automator.cli import build_parser

    parser = build_parser([command])
    (subparsers,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return subparsers.choices[command]


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
    assert sorted(a.split("=")[0] for a in mapped) == sorted(a for a in argv if not a[0].isalnum() or a == "envs/prod")
    parsed = run_parser().parse_args(mapped)
    assert (parsed.pr, parsed.draft, parsed.auto_merge, parsed.pr_per, parsed.path) == (True, True, "squash", "image", "envs/prod")


def test_every_flag_in_the_mapping_is_a_real_flag_of_automator_run():
    options = {s for action in run_parser()._actions for s in action.option_strings}
    flags = {spec.flag for spec in entry.ACTION_INPUTS.values() if spec.flag and spec.kind != "fleet"}
    flags |= {flag for spec in entry.ACTION_INPUTS.values() for _, flag in spec.choices if flag}
    assert flags - options == set()


def test_with_a_fleet_file_every_mapped_flag_is_a_real_flag_of_automator_fleet(tmp_path):
    (tmp_path / "fleet.yaml").write_text("version: 1\nrepositories: []\n")
    environ = inputs(fleet="fleet.yaml", shard="1/4", path="envs/prod", mode="pr", labels="a", tags_file="t.json", dry_run="true")
    command = entry.action_command(environ)
    mapped, _ = entry.action_argv(environ)
    assert command == ["fleet", "fleet.yaml", "--shard=1/4"]
    assert "envs/prod" not in mapped  # a fleet runs each repository's own paths
    parsed = run_parser("fleet").parse_args([*command[1:], *mapped])
    assert (parsed.file.name, parsed.shard, parsed.pr, parsed.label, parsed.dry_run) == ("fleet.yaml", "1/4", True, ["a"], True)


def test_only_becomes_one_only_option_of_automator_fleet_per_pattern(tmp_path):
    environ = inputs(fleet="fleet.yaml", shard="0/2", only="github.com/acme/env-eu*\n*@staging, github.com/acme/env-us")
    command = entry.action_command(environ)
    assert command == ["fleet", "fleet.yaml", "--shard=0/2", "--only=github.com/acme/env-eu*", "--only=*@staging",
                       "--only=github.com/acme/env-us"]
    assert run_parser("fleet").parse_args(command[1:]).only == ["github.com/acme/env-eu*", "*@staging", "github.com/acme/env-us"]


@pytest.mark.parametrize(
    ("given", "name", "message"),
    [
        ({"fleet": "fleet.yaml", "repo": "https://x/y.git"}, "repo", "not used with fleet"),
        ({"fleet": "fleet.yaml", "remote": "upstream"}, "remote", "not used with fleet: the clone's one remote is origin"),
        ({"repo": "https://x/y.git", "remote": "upstream"}, "remote", "not used with repo: the clone's one remote is origin"),
        ({"shard": "0/2"}, "shard", "needs fleet"),
        ({"only": "github.com/acme/*"}, "only", "needs fleet"),
        ({"fleet": "fleet.yaml", "shard": "2/2"}, "shard", "I/N with I from 0 to N-1"),
        ({"fleet": "missing.yaml"}, "fleet", "not a readable file"),
        ({"pushed": "ghcr.io/acme/app"}, "pushed", "REGISTRY/REPOSITORY:TAG"),
        ({"event-file": "nope.json"}, "event-file", "not a readable file"),
    ],
)
def test_event_and_fleet_inputs_are_checked_by_name(tmp_path, given, name, message):
    (tmp_path / "fleet.yaml").write_text("version: 1\nrepositories: []\n")
    problems = entry.check_inputs(inputs(**{k.replace("-", "_"): v for k, v in given.items()}), tmp_path)
    assert [(p.name, message in p.message) for p in problems] == [(name, True)]


def test_pushed_images_and_an_event_file_become_run_arguments(tmp_path):
    environ = inputs(pushed="ghcr.io/acme/app:1.4.2\nghcr.io/acme/api:2.0.0", event_file="/tmp/event.json")
    mapped, _ = entry.action_argv(environ)
    assert mapped == ["--pushed=ghcr.io/acme/app:1.4.2", "--pushed=ghcr.io/acme/api:2.0.0", "--event=/tmp/event.json"]
    parsed = run_parser().parse_args(mapped)
    assert parsed.pushed == ["ghcr.io/acme/app:1.4.2", "ghcr.io/acme/api:2.0.0"] and parsed.event == "/tmp/event.json"


def test_run_takes_a_path_argument_for_the_path_input():
    positionals = [a.dest for a in run_parser()._actions if not a.option_strings]
    assert any("path" in dest for dest in positionals), positionals


def test_only_secrets_travel_outside_flags():
    outside = {name for name, spec in entry.ACTION_INPUTS.items() if spec.kind in ("env", "registry")}
    assert outside == {"token", "registry", "registry-username", "registry-password"}


def test_the_run_step_passes_every_input_and_the_cached_paths_and_nothing_else():
    (step,) = [s for s in ACTION["runs"]["steps"] if s.get("id") == "run"]
    expected = {entry.input_variable(name): "${{ inputs." + name + " }}" for name in ACTION["inputs"]}
    expected["AUTOMATOR_CACHE_DIR"] = "${{ steps.keys.outputs.registry-cache-path }}"
    expected["VENV_PYTHON"] = "${{ steps.keys.outputs.venv-path }}/bin/python"
    assert step["env"] == expected
    assert "automator.ci.action" in step["run"]


def test_outputs_are_read_from_the_run_step_and_written_by_publish():
    from automator.ci.github import step_outputs
    from automator.model import Plan

    written = set(step_outputs(Plan()))
    for name, output in ACTION["outputs"].items():
        assert output["value"] == "${{ steps.run.outputs." + name + " }}"
        assert name in written
    assert {"updated", "updates", "pr-url"} <= set(ACTION["outputs"])
    assert set(ACTION["outputs"]) == written, "every output the run writes is an output of the action"


def test_composite_action_installs_the_lock_then_the_package_from_the_action_path():
    assert ACTION["runs"]["using"] == "composite"
    (install,) = [s for s in ACTION["runs"]["steps"] if s.get("name") == "Install Deployment Automator"]
    lines = install["run"].splitlines()
    assert any("--require-hashes -r \"$GITHUB_ACTION_PATH/requirements.lock\"" in line for line in lines)
    assert lines[-1].endswith('--no-deps "$GITHUB_ACTION_PATH"')
    assert install["if"] == "steps.venv.outputs.cache-hit != 'true'"
    assert all(step.get("shell") == "bash" for step in ACTION["runs"]["steps"] if "run" in step)


def test_the_venv_and_the_registry_cache_are_restored_and_saved_through_the_cache_service():
    steps = ACTION["runs"]["steps"]
    cache = [(s["name"], s["uses"].split("@")[0], s["with"]) for s in steps if "uses" in s]
    assert [(name, action) for name, action, _ in cache] == [
        ("Restore the virtual environment", "actions/cache/restore"),
        ("Save the virtual environment", "actions/cache/save"),
        ("Restore the registry cache", "actions/cache/restore"),
        ("Save the registry cache", "actions/cache/save"),
    ]
    venv = {"path": "${{ steps.keys.outputs.venv-path }}", "key": "${{ steps.keys.outputs.venv-key }}"}
    assert cache[0][2] == venv and cache[1][2] == venv
    assert cache[2][2]["restore-keys"] == "${{ steps.keys.outputs.registry-cache-prefix }}"
    assert cache[3][2]["key"] == "${{ steps.keys.outputs.registry-cache-key }}"
    names = [s.get("name") for s in steps]
    assert names.index("Restore the registry cache") < names.index("Update images") < names.index("Save the registry cache")
    assert steps[-1]["if"].startswith("always()")
    (keys,) = [s for s in steps if s.get("id") == "keys"]  # what the registry cache is kept per
    assert {name: keys["env"][name] for name in ("ENV_PATH", "ENV_REPO", "ENV_FLEET", "ENV_SHARD")} == {
        "ENV_PATH": "${{ inputs.path }}", "ENV_REPO": "${{ inputs.repo }}",
        "ENV_FLEET": "${{ inputs.fleet }}", "ENV_SHARD": "${{ inputs.shard }}"}


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
        ({"path": "envs/prod", "tags_file": "tags.json"}, ["--tags-from=tags.json", "envs/prod"]),
        ({"dry_run": "false", "verbose": "true"}, ["--verbose"]),
        ({"dry_run": "true"}, ["--dry-run"]),
        ({"mode": "commit"}, []),
        ({"path": "envs/prod", "mode": "pr", "draft": "true"}, ["--pr", "--draft", "envs/prod"]),
        ({"labels": "automated, images\nprod"}, ["--label=automated", "--label=images", "--label=prod"]),
        ({"reviewers": "alice,acme/sre", "auto_merge": "squash"}, ["--reviewer=alice", "--reviewer=acme/sre", "--auto-merge=squash"]),
        ({"insecure_registries": "reg.local:5000, 10.0.0.1\nlab:80"}, ["--insecure-registry=reg.local:5000", "--insecure-registry=10.0.0.1", "--insecure-registry=lab:80"]),
        ({"message_template": "chore: {summary}", "branch": "env/prod"}, ["--branch=env/prod", "--message-template=chore: {summary}"]),
        ({"fail_on_problems": "false"}, []),
        # the password travels as REDIS_PASSWORD, never on the command line
        ({"cache_url": "rediss://:pw@redis.example:6380/0"}, ["--cache-url=rediss://redis.example:6380/0"]),
    ],
)
def test_inputs_become_run_arguments(given, argv):
    assert entry.action_argv(inputs(**given))[0] == argv


def test_the_cache_urls_password_reaches_the_run_in_its_environment():
    assert entry.action_argv(inputs(cache_url="rediss://:pw@redis.example:6380/0"))[1] == {"REDIS_PASSWORD": "pw"}


def test_a_value_that_starts_with_a_dash_stays_a_value():
    argv, _ = entry.action_argv(inputs(message_template="-- {summary}", path="-odd"))
    parsed = run_parser().parse_args(argv)
    assert (parsed.message_template, parsed.path) == ("-- {summary}", "./-odd")


@pytest.mark.parametrize(
    ("given", "name", "message"),
    [
        ({"mode": "merge"}, "mode", "must be commit, pr or validate, not 'merge'"),
        ({"verbose": "1"}, "verbose", "must be true or false, not '1'"),
        ({"dry_run": "yes"}, "dry-run", "must be true or false, not 'yes'"),
        ({"pr_per": "images"}, "pr-per", "must be run or image, not 'images' (did you mean image?)"),
        ({"auto_merge": "fast-forward"}, "auto-merge", "must be merge, squash or rebase, not 'fast-forward'"),
        ({"max_attempts": "0"}, "max-attempts", "must be a whole number of at least 1, not '0'"),
        ({"max_attempts": "three"}, "max-attempts", "whole number"),
        ({"fail_on_problems": "no"}, "fail-on-problems", "must be true or false, not 'no'"),
        ({"forge_url": "github.example.com"}, "forge-url", "must be an http(s) URL"),
        ({"author": "bot@example.com"}, "author", 'must look like "Name <email>"'),
        ({"platform": "arm64"}, "platform", "must be OS/ARCH[/VARIANT]"),
        ({"insecure_registries": "http://reg.local:5000"}, "insecure-registries", "no scheme or path"),
        ({"branch": "--force"}, "branch", "'--force' is not a valid branch name: it starts with `-`"),
        ({"path": "nope"}, "path", "'nope' does not exist in the workspace"),
        ({"tags_file": "tags.json"}, "tags-file", "'tags.json' is not a file in the workspace"),
        ({"registry_password": "pw-1234"}, "registry", "is needed with registry-password"),
        ({"cache_url": "https://:s3cret-pw@redis.example"}, "cache-url", "must be redis://HOST:PORT/DB or rediss://"),
        ({"registry_timeout": "30s"}, "registry-timeout", "must be a positive number of seconds such as 30, not '30s'"),
        ({"registry_timeout": "nan"}, "registry-timeout", "positive number of seconds"),
        ({"branch_template": "automator/{nope}"}, "branch-template", "uses unknown field(s) nope (available: {env}, {image}, {images})"),
    ],
)
def test_every_input_is_checked_and_a_bad_one_is_named_by_its_input_name(tmp_path, given, name, message):
    problems = entry.check_inputs(inputs(**given), tmp_path)
    assert problems and problems[0].name == name
    assert message in problems[0].message


def test_a_bad_cache_url_is_named_without_its_value_which_may_hold_a_password(tmp_path):
    (problem,) = entry.check_inputs(inputs(cache_url="redis:/:s3cret-pw@redis.example"), tmp_path)
    assert problem.name == "cache-url" and "s3cret-pw" not in problem.message


def test_good_inputs_pass_the_check(tmp_path):
    (tmp_path / "envs" / "prod").mkdir(parents=True)
    (tmp_path / "tags.json").write_text("{}")
    good = inputs(path="envs/prod", tags_file="tags.json", mode="pr", pr_per="image", auto_merge="rebase",
                  max_attempts="5", forge_url="https://ghe.example.com/api/v3", author="Bot <bot@example.com>",
                  platform="linux/arm/v7", insecure_registries="reg.local:5000, [::1]:5000", branch="env/prod",
                  fail_on_problems="false", dry_run="TRUE", cache_url="redis://redis:6379/0", registry_timeout="2.5",
                  branch_template="automator/{env}/{image}")
    assert entry.check_inputs(good, tmp_path) == []


@pytest.mark.parametrize(("remote", "refused"), [("upstream", False), ("../env.git", False), ("https://git.example.com/a/b.git", False),
                                                ("up..stream", True), ("-x", True), ("up stream", True)])
def test_a_remote_may_be_a_name_a_url_or_a_path_as_for_remote(tmp_path, remote, refused):
    """A path remote beside the workspace (`../env.git`) is what --remote takes too."""
    problems = entry.check_inputs(inputs(remote=remote), tmp_path)
    assert bool(problems) is refused
    assert all(p.name == "remote" for p in problems)


def test_paths_of_a_cloned_repository_are_not_looked_for_in_the_workspace(tmp_path):
    given = inputs(repo="https://github.com/acme/env.git", path="clusters/prod", rules="clusters/.automator.yaml")
    assert entry.check_inputs(given, tmp_path) == []


def test_token_goes_to_the_environment():
    argv, env = entry.action_argv(inputs(token="ghs_abcdefghijklmnopqrstuvwxyz0123"))
    assert argv == [] and env == {"GITHUB_TOKEN": "ghs_abcdefghijklmnopqrstuvwxyz0123"}


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


def test_bad_inputs_in_the_action_entry_are_error_annotations_and_a_summary(capsys, tmp_path):
    summary = tmp_path / "summary.md"
    environ = {"RUNNER_TEMP": str(tmp_path), "GITHUB_WORKSPACE": str(tmp_path), "GITHUB_STEP_SUMMARY": str(summary),
               **inputs(dry_run="maybe", pr_per="images", token="ghs_secret_token_0123456789")}
    code = entry.main(environ)
    assert code == 2
    lines = capsys.readouterr().out.splitlines()
    masks = [line for line in lines if line.startswith("::add-mask::")]
    assert "::add-mask::ghs_secret_token_0123456789" in masks and lines[:len(masks)] == masks
    assert lines[len(masks):] == [
        "::error title=input dry-run::input dry-run must be true or false, not 'maybe'",
        "::error title=input pr-per::input pr-per must be run or image, not 'images' (did you mean image?)",
    ]
    text = summary.read_text()
    assert "| `pr-per` | must be run or image, not 'images' (did you mean image?) |" in text
    assert "Nothing ran and nothing was written" in text
    assert "ghs_secret_token" not in text
    assert list(tmp_path.iterdir()) == [summary]


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
    assert last.startswith("::error title=input registry-password::automator action: ")
    assert str(home / ".docker" / "config.json") in last
    assert list((tmp_path / "runner").iterdir()) == []
