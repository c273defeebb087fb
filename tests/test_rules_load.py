"""Rule files: what they parse to, and the file:line message for each kind of mistake."""

import json
from datetime import timedelta
from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML

from automator.errors import ConfigError, ExitCode
from automator.rules import Follow, load_rules_file, parse_rules, settings_for
from automator.rules.model import DEFAULTS, Settings, with_defaults

ROOT = Path(__file__).resolve().parent.parent
POLICIES = ROOT / "policies"
SHIPPED = [POLICIES / "default-rules.yaml", *sorted((POLICIES / "examples").glob("*.yaml"))]

FULL = """\
version: 1
rules:
  - name: production
    match:
      paths: [production/**]
      images: nginx
    policy: "semver:^1"
    write: pr
    pr: {group: image, labels: [prod]}
    min-age: 1d12h
    max-change: minor
    freeze:
      - {from: Fri 16:00, to: Mon 08:00, timezone: Europe/Berlin}
    hold: false
    follow: {path: "staging/{name}", container: app}
    soak: 36h
    digest: true
    platform: linux/arm64
"""


def test_a_full_rule_parses_to_frozen_values():
    rule = parse_rules(FULL, "rules.yaml").rules[0]
    assert rule.name == "production" and rule.line == 3 and rule.source == "rules.yaml"
    assert rule.match.paths == ("production/**",)
    assert rule.match.images == ("docker.io/library/nginx",)
    assert rule.match.change == ()  # a rule that sets policy or follow cannot match sizes
    s = rule.settings
    assert (s.policy, s.write, s.pr_group, s.pr_labels) == ("semver:^1", "pr", "image", ("prod",))
    assert (s.min_age, s.max_change, s.hold, s.soak) == (timedelta(hours=36), "minor", False, timedelta(hours=36))
    assert s.follow == Follow("staging/{name}", "app")
    assert (s.digest, s.platform) == (True, "linux/arm64")
    assert s.freeze[0].text == "Fri 16:00 -> Mon 08:00 Europe/Berlin"
    with pytest.raises(AttributeError):
        s.write = "commit"  # frozen


def test_an_empty_file_has_no_rules():
    assert parse_rules("", "r.yaml").rules == ()
    assert parse_rules("# only comments\n", "r.yaml").rules == ()
    assert parse_rules("version: 1\n", "r.yaml").rules == ()


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("rules: [\n", 2, "not valid YAML"),
        ("- a\n", 1, "a mapping with a 'rules:' list"),
        ("version: 2\nrules: []\n", 1, "unsupported version"),
        ("rule:\n  - {}\n", 1, "unknown key 'rule'"),
        ("rules:\n  hold: true\n", 1, "'rules' must be a list"),
        ("rules:\n  - hold: true\n  - wrte: pr\n", 3, "unknown rule key 'wrte'"),
        ("rules:\n  - write: merge\n", 2, "'merge' is not one of commit, pr"),
        ("rules:\n  - match:\n      path: a/**\n", 3, "unknown match key 'path'"),
        ("rules:\n  - match:\n      images: ['Upper/Case']\n", 3, "invalid repository path"),
        ("rules:\n  - match:\n      change: huge\n", 3, "unknown change size 'huge'"),
        ("rules:\n  - min-age: 3\n", 2, "a duration must be a string"),
        ("rules:\n  - soak: 3 days\n", 2, "invalid duration '3 days'"),
        ("rules:\n  - hold: yes please\n", 2, "expected true or false"),
        ("rules:\n  - policy: 'semver:>=bad'\n", 2, "invalid semver constraint"),
        ("rules:\n  - policy: 'newest'\n", 2, "unknown policy kind"),
        ("rules:\n  - pr: {group: team}\n", 2, "'team' is not one of run, image"),
        ("rules:\n  - freeze: {from: Fri 16:00}\n", 2, "'freeze' must be a list"),
        ("rules:\n  - freeze:\n      - from: Fri 16:00\n", 3, "needs from: and to:"),
        ("rules:\n  - freeze:\n      - from: Fri 16:00\n        to: Mon 8\n", 4, "invalid weekly time 'Mon 8'"),
        ("rules:\n  - freeze:\n      - from: Fry 16:00\n        to: Mon 08:00\n", 3, "invalid day"),
        ("rules:\n  - freeze:\n      - from: Fri 16:00\n        to: Mon 08:00\n        timezone: Mars/Olympus\n", 5, "unknown time zone"),
        ("rules:\n  - follow: {container: app}\n", 2, "'follow' needs path:"),
        ("rules:\n  - name: 3\n", 2, "'name' must be a string"),
        ("version: true\nrules: []\n", 1, "unsupported version"),
        ("rules:\n  - follow:\n      path: staging/{name}\n      container: [app]\n", 4, "'container' must be a"),
        ("rules:\n  - match:\n      paths: /srv/env/production/**\n    hold: true\n", 3, "is absolute: it can never match"),
    ],
)
def test_mistakes_fail_fast_with_file_and_line(text, line, words):
    with pytest.raises(ConfigError) as caught:
        parse_rules(text, "env/.automator.yaml")
    error = caught.value
    assert (error.source, error.line) == ("env/.automator.yaml", line)
    assert str(error).startswith(f"env/.automator.yaml:{line}: ")
    assert words in str(error)
    assert error.exit_code == ExitCode.USAGE


def test_a_paths_glob_written_from_the_rules_files_directory_matches_as_without_dot_slash():
    """Manifests' paths are matched relative to the rules file's directory, without ./: a hold
    written for ./production/** must hold production/app.yaml, not silently match nothing."""
    (written,) = parse_rules("rules:\n  - match: {paths: ['./production/**', './/staging/*.yaml']}\n    hold: true\n", "r.yaml").rules
    assert written.match.paths == ("production/**", "staging/*.yaml")
    held = settings_for(parse_rules("rules:\n  - match: {paths: ./production/**}\n    hold: true\n", "r.yaml"),
                        "production/app.yaml", "ghcr.io/acme/app")
    assert held.hold is True


def test_an_unreadable_rules_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read rules file"):
        load_rules_file(tmp_path / "missing.yaml")


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_rule_files_validate_against_the_schema_and_load(path):
    schema = json.loads((POLICIES / "rules.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(YAML(typ="safe").load(path.read_text()), schema)
    assert load_rules_file(path).rules


@pytest.mark.parametrize(
    "bad",
    [
        {"rules": [{"wrte": "pr"}]},
        {"rules": [{"min-age": "3 days"}]},
        {"rules": [{"freeze": [{"from": "Fri 16:00"}]}]},
        {"rules": [{"match": {"change": "huge"}}]},
        {"version": 2},
        {"version": True, "rules": []},
        {"rules": [{"follow": {"path": "staging/{name}", "container": ["app"]}}]},
        {"rules": [{"match": {"paths": ["staging/**", "/srv/env/production/**"]}}]},
    ],
)
def test_the_schema_rejects_what_the_loader_rejects(bad):
    schema = json.loads((POLICIES / "rules.schema.json").read_text())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)
    with pytest.raises(ConfigError):
        parse_rules(json.dumps(bad), "bad.yaml")


@pytest.mark.parametrize(
    ("path", "image", "change"),
    [("a.yaml", "docker.io/library/nginx", None), ("production/x.yaml", "ghcr.io/acme/api", "major")],
)
def test_the_shipped_defaults_behave_as_no_rules_file(path, image, change):
    shipped = settings_for(load_rules_file(POLICIES / "default-rules.yaml"), path, image, change)
    assert with_defaults(shipped) == with_defaults(Settings()) == DEFAULTS
