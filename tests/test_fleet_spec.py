"""The fleet file: repositories with their settings over the defaults; mistakes name file:line."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from automator.errors import ConfigError, ExitCode
from automator.fleet.spec import parse_fleet

SCHEMA = json.loads((Path(__file__).parent.parent / "policies" / "fleet.schema.json").read_text())

EXAMPLE = """\
version: 1
defaults: {mode: commit, ref: main}
repositories:
  - url: https://github.com/acme/env-prod.git
    path: clusters/production
    mode: pr
    rules: .automator.yaml
  - url: https://gitlab.example.com/acme/env-eu.git
    paths: [eu-west, eu-central]
"""


def test_the_documented_example_reads_as_written():
    spec = parse_fleet(EXAMPLE, "fleet.yaml")
    prod, eu = spec.repositories
    assert (prod.url, prod.paths, prod.mode, prod.ref, prod.rules) == (
        "https://github.com/acme/env-prod.git", ("clusters/production",), "pr", "main", ".automator.yaml")
    assert (eu.paths, eu.mode, eu.ref) == (("eu-west", "eu-central"), "commit", "main")
    assert prod.source == "fleet.yaml:4" and prod.name == "github.com/acme/env-prod"
    jsonschema.validate(yaml.safe_load(EXAMPLE), SCHEMA)  # the schema agrees


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("repositories: []\n", 1, "version: 1 is required"),
        ("version: 2\nrepositories: []\n", 1, "version: 1 is required"),
        ("version: 1\n", 1, "repositories: is missing"),
        ("version: 1\nrepositories:\n  - path: x\n", 3, "each repository needs url:"),
        ("version: 1\nrepositories:\n  - url: a\n    mdoe: pr\n", 4, "unknown key 'mdoe' (did you mean 'mode'?)"),
        ("version: 1\nrepositories:\n  - url: a\n    mode: push\n", 4, "mode: 'push' is not one of commit, pr, mr"),
        ("version: 1\nrepositories:\n  - url: a\n    path: x\n    paths: [y]\n", 3, "give path: or paths:, not both"),
        ("version: 1\nrepositories:\n  - url: a\n  - url: a\n", 4, "listed twice (first at f.yaml:3)"),
        ("version: 1\nrepositories:\n  - url: a\n    url: b\n", 4, "'url' is written twice"),
        ("version: 1\nrepositories:\n  - url: a\n    draft: maybe\n", 4, "draft: expected true or false"),
        ("version: 1\ndefaults: {url: x}\nrepositories: []\n", 2, "unknown key 'url'"),
        ("version: 1\nrepositories: {url: a}\n", 2, "repositories: must be a list"),
        ("version: 1\nrepositories:\n  - url: [a\n", 4, "invalid YAML"),
    ],
)
def test_mistakes_are_usage_errors_with_file_and_line(text, line, message):
    with pytest.raises(ConfigError) as caught:
        parse_fleet(text, "f.yaml")
    assert f"f.yaml:{line}:" in str(caught.value) or (line == 1 and "f.yaml" in str(caught.value))
    assert message in str(caught.value)
    assert caught.value.exit_code == ExitCode.USAGE


def test_repository_settings_win_over_the_defaults():
    text = "version: 1\ndefaults: {mode: pr, labels: [automated]}\nrepositories:\n  - url: a\n  - url: b\n    mode: commit\n"
    a, b = parse_fleet(text).repositories
    assert (a.mode, a.labels, b.mode, b.labels) == ("pr", ("automated",), "commit", ("automated",))
    unset = parse_fleet("version: 1\nrepositories:\n  - url: c\n").repositories[0]
    assert unset.mode is None  # the command line decides: --pr, else one commit


def test_credentials_never_show_in_a_repository_name():
    spec = parse_fleet("version: 1\nrepositories:\n  - url: https://x-access-token:ghp_secret@github.com/acme/env.git\n")
    assert spec.repositories[0].name == "github.com/acme/env"
