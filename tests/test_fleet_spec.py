"""The fleet file: repositories with their settings over the defaults; mistakes name file:line."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from automator.errors import ConfigError, ExitCode, UsageError
from automator.fleet.spec import parse_fleet, select

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
        ("version: 1\nrepositories:\n\t- url: a\n", 3, "indent with spaces, not tabs"),
        ("version: 1\nrepositories:\n  - https://x/a.git\n", 3, "each repository is a mapping such as {url: https://...}"),
        ("version: 1\ndefaults: [mode: pr]\nrepositories: []\n", 2, "defaults: is a mapping of per-repository keys"),
        ("version: 1\nrepositories:\n  - url: a\n    path: [x, y]\n", 4, "path: expected a string (several directories take paths:)"),
        ("", 1, "the fleet file is empty"),
        ("version: 1\nrepositories:\n  - url: a\n  - url: https://gitlab.com/acme/env.git?private_token=glpat-s3cr3t\n", 4,
         "url: a clone URL takes no query string or fragment"),
        ("# repositories come later\n", 1, "the fleet file is empty"),
        ("version: 1\nrepositories:\n  - url: git@gitlab.com:acme/env.git?private_token=glpat-s3cr3t\n", 3,
         "url: a clone URL takes no query string or fragment"),
        ("version: 0b_\nrepositories: []\n", 1, "version: 1 is required"),
        ("version: !!int abc\nrepositories: []\n", 1, "version: 1 is required"),
        ("version: 1\nrepositories:\n  - url: a\n    author: not an identity\n", 4,
         "author: invalid identity 'not an identity' (write it as \"Name <email@example.com>\")"),
        ("version: 1\ndefaults:\n  message-template: 'Update $nope'\nrepositories: []\n", 3,
         "message-template: commit message template has an unknown or malformed placeholder: 'nope' (available: $"),
        ("version: 1\nrepositories:\n  - url: a\n    branch-template: 'deps/{ref}/{image}'\n", 4,
         "branch-template: --branch-template 'deps/{ref}/{image}' uses unknown field(s) ref"),
    ],
)
def test_mistakes_are_usage_errors_with_file_and_line(text, line, message):
    with pytest.raises(ConfigError) as caught:
        parse_fleet(text, "f.yaml")
    assert f"f.yaml:{line}:" in str(caught.value) and caught.value.line == line
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


def test_a_repositorys_own_path_wins_over_paths_in_the_defaults():
    text = "version: 1\ndefaults: {paths: [a, b]}\nrepositories:\n  - url: x\n    path: c\n  - url: y\n"
    own, default = parse_fleet(text).repositories
    assert (own.paths, default.paths) == (("c",), ("a", "b"))
    text = "version: 1\ndefaults: {path: a}\nrepositories:\n  - url: x\n    paths: [b, c]\n"
    assert parse_fleet(text).repositories[0].paths == ("b", "c")


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("https://github.com/acme/env.git", "https://github.com/acme/env"),
        ("https://github.com/acme/env", "https://github.com/acme/env/"),
        ("https://github.com/acme/env.git", "https://GitHub.com/acme/env.git/"),
        ("https://x-access-token:ghp_secret123@github.com/acme/env.git", "https://github.com/acme/env.git"),
        ("git@github.com:acme/env.git", "git@github.com:acme/env"),
        ("git@github.com:acme/env.git", "git@GitHub.com:acme/env.git"),
        ("git@github.com:acme/env.git", "ssh://git@github.com/acme/env.git"),
        ("git@github.com:acme/env.git", "https://github.com/acme/env"),  # one repository, whichever transport clones it
        ("ssh://git@gitlab.example.com:2222/acme/env.git", "https://gitlab.example.com/acme/env.git"),
    ],
)
def test_the_same_repository_spelled_twice_is_listed_twice(first, second):
    with pytest.raises(ConfigError) as caught:
        parse_fleet(f"version: 1\nrepositories:\n  - url: {first}\n  - url: {second}\n", "f.yaml")
    assert "f.yaml:4:" in str(caught.value) and "listed twice (first at f.yaml:3)" in str(caught.value)
    assert "paths: [" in str(caught.value)  # what to do: one entry with several paths
    assert "ghp_secret123" not in str(caught.value)


def test_one_repository_may_stand_once_per_branch():
    """A branch per environment: the same URL with another ref is another entry; the same ref twice is not."""
    text = "version: 1\nrepositories:\n  - url: https://github.com/acme/env\n    ref: staging\n  - url: https://github.com/acme/env.git\n    ref: production\n"
    staging, production = parse_fleet(text).repositories
    assert (staging.label, production.label) == ("github.com/acme/env@staging", "github.com/acme/env@production")
    with pytest.raises(ConfigError, match=r"f.yaml:7: github.com/acme/env@staging is listed twice \(first at f.yaml:3\)"):
        parse_fleet(text + "  - url: https://github.com/acme/env/\n    ref: staging\n", "f.yaml")


def test_the_entries_of_one_repository_for_two_branches_never_share_a_pull_request_branch():
    """Both would take automator/clusters-prod/all: one base's commits would land in the other's PR."""
    text = ("version: 1\ndefaults: {mode: pr, path: clusters/prod}\nrepositories:\n"
            "  - {url: https://github.com/acme/env.git, ref: staging}\n"
            "  - {url: https://github.com/acme/env.git, ref: production}\n"
            "  - {url: https://github.com/acme/env.git, ref: preview, branch-template: 'preview/{env}'}\n"
            "  - {url: https://github.com/acme/other.git, ref: production}\n")
    staging, production, preview, other = parse_fleet(text).repositories
    given = "automator/{env}/{image}"
    assert staging.pull_request_template(given) == "automator/staging/{env}/{image}"
    assert production.pull_request_template(given) == "automator/production/{env}/{image}"
    assert preview.pull_request_template(given) == "preview/{env}"  # a template of its own is kept as written
    assert other.pull_request_template(given) == given  # listed once: branches as for run --pr


def test_different_repositories_that_look_alike_are_not_duplicates():
    text = "version: 1\nrepositories:\n" + "".join(f"  - url: {url}\n" for url in (
        "https://github.com/acme/env", "https://github.com/acme/env-2", "https://github.com/other/env", "/srv/git/env", "/srv/git/env.git"))
    assert len(parse_fleet(text).repositories) == 5  # local paths are directories: env and env.git differ


SCHEMA_CASES = [  # (text, valid): the loader and the schema answer the same
    ("version: '1'\nrepositories: []\n", False),
    ("version: 1\nrepositories:\n  - url: 5\n", False),
    ("version: 1\nrepositories:\n  - url: a\n    path: 2024\n", False),
    ("version: 1\nrepositories:\n  - url: a\n    path: '2024'\n", True),
    ("version: 1\nrepositories:\n  - url: a\n    ref: 1.0\n", False),
    ("version: 1\nrepositories:\n  - url: a\n    paths: [x, ~]\n", False),
    ("version: 1\nrepositories:\n  - url: a\n    paths: [x, 1]\n", False),
    ("version: 1\nrepositories:\n  - url: a\n    paths: x\n", True),
    ("version: 1\nrepositories:\n  - url: a\n    labels: []\n", False),
    ("version: 1\nrepositories:\n  - url: a\n    labels: automated\n", True),
    ("version: 1\nrepositories:\n  - url: a\n    draft: 'true'\n", False),
    ("version: 1\nrepositories:\n  - url: a\n    draft: yes\n", True),
    ("version: 1\nrepositories:\n  - url: a\n    draft: false\n", True),
    ("version: 1\nrepositories:\n  - url: a\n    mode: ~\n", False),
    ("version: 1\nrepositories: []\n", True),
    ("version: 1.0\nrepositories: []\n", True),
    ("version: true\nrepositories: []\n", False),
    ("version: 1\ndefaults: {mdoe: pr}\nrepositories: []\n", False),
    ("version: 1\ndefaults: {url: a}\nrepositories: []\n", False),
    ("version: 1\nrepositories:\n  - url: https://gitlab.com/acme/env.git?private_token=x\n", False),
    ("version: 1\nrepositories:\n  - url: https://gitlab.com/acme/env.git#main\n", False),
    ("version: 1\nrepositories:\n  - url: /srv/git/what?.git\n", True),  # a local path may hold any character
    ("version: 1\nrepositories:\n  - url: git@gitlab.com:acme/env.git?private_token=x\n", False),
    ("version: 1\nrepositories:\n  - url: git@gitlab.com:acme/env.git\n", True),
]


@pytest.mark.parametrize(("text", "valid"), SCHEMA_CASES)
def test_the_schema_and_the_loader_agree(text, valid):
    try:
        jsonschema.validate(yaml.safe_load(text), SCHEMA)
        schema_valid = True
    except jsonschema.ValidationError:
        schema_valid = False
    assert schema_valid == valid
    if valid:
        parse_fleet(text, "f.yaml")
    else:
        with pytest.raises(ConfigError) as caught:
            parse_fleet(text, "f.yaml")
        assert caught.value.line is not None and caught.value.exit_code == ExitCode.USAGE


def test_a_number_where_a_string_is_expected_says_to_quote_it():
    with pytest.raises(ConfigError, match=r"f.yaml:4: path: expected a string \(quote it: '2024'\)"):
        parse_fleet("version: 1\nrepositories:\n  - url: a\n    path: 2024\n", "f.yaml")


# --- --only: a selection of the fleet by name -------------------------------------------------------

SELECTION = parse_fleet("""\
version: 1
repositories:
  - url: https://github.com/acme/env-prod.git
  - url: https://github.com/acme/env-eu.git
    ref: staging
  - url: https://github.com/acme/env-eu.git
    ref: main
  - url: https://gitlab.example.com/acme/env-us.git
""").repositories


def labels(repositories) -> list[str]:
    return [r.label for r in repositories]


def test_only_keeps_the_repositories_whose_name_or_label_matches_in_the_fleets_order():
    assert labels(select(SELECTION, [])) == labels(SELECTION)
    assert labels(select(SELECTION, ["*/env-eu"])) == ["github.com/acme/env-eu@staging", "github.com/acme/env-eu@main"]
    assert labels(select(SELECTION, ["*@staging"])) == ["github.com/acme/env-eu@staging"]
    assert labels(select(SELECTION, ["gitlab.example.com/*", "github.com/acme/env-prod"])) == [
        "github.com/acme/env-prod", "gitlab.example.com/acme/env-us"]


def test_only_with_a_pattern_that_matches_nothing_is_a_usage_error_naming_it():
    with pytest.raises(UsageError) as refused:
        select(SELECTION, ["*/env-eu", "env-prod"])  # names start with the host
    assert refused.value.exit_code == ExitCode.USAGE
    assert "--only 'env-prod' matches none of the fleet's 4 repositories" in str(refused.value)


def test_only_after_a_failed_discovery_is_no_error_the_repository_may_be_one_it_would_have_found():
    assert select(SELECTION, ["github.com/acme/discovered-*"], complete=False) == []


def test_only_matches_without_regard_to_case_as_hosts_and_forges_do():
    spelled = parse_fleet("version: 1\nrepositories:\n  - url: https://GitHub.com/Acme/Env-Prod.git\n").repositories
    assert labels(select(spelled, ["github.com/acme/*"])) == ["GitHub.com/Acme/Env-Prod"]


def test_an_scp_like_url_is_named_host_slash_path_like_the_others():
    (scp, port) = parse_fleet("version: 1\nrepositories:\n  - url: git@github.com:acme/env-d.git\n"
                              "  - url: ssh://git@git.example.com:2222/acme/env-e.git\n").repositories
    assert (scp.name, port.name) == ("github.com/acme/env-d", "git.example.com:2222/acme/env-e")  # a port stays a port
    assert labels(select([scp, port], ["github.com/acme/*"])) == ["github.com/acme/env-d"]


def test_a_url_with_a_token_in_its_query_string_is_refused_without_repeating_it():
    """git cannot clone such a URL, and every report would print the token with the name."""
    with pytest.raises(ConfigError) as caught:
        parse_fleet("version: 1\nrepositories:\n  - url: https://gitlab.com/acme/env.git?private_token=glpat-s3cr3t\n", "f.yaml")
    assert "f.yaml:3:" in str(caught.value) and "GIT_TOKEN" in str(caught.value)
    assert "glpat-s3cr3t" not in str(caught.value)
