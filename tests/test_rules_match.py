"""Which rules apply: path globs, image globs, change sizes; the last rule that says wins."""

import pytest

from automator.rules import change_size, parse_rules, settings_for
from automator.rules.match import is_downgrade
from automator.rules.values import glob_regex, normalise_image_glob, parse_duration

RULES = parse_rules(
    """\
rules:
  - write: commit
    min-age: 1h
  - match: {paths: production/**}
    write: pr
  - match: {paths: production/**, images: ghcr.io/acme/*}
    min-age: 1d
  - match: {change: major}
    write: pr
    pr: {labels: [major]}
  - match: {images: [postgres, "bitnami/*"]}
    hold: true
""",
    "rules.yaml",
)


@pytest.mark.parametrize(
    ("glob", "path", "matches"),
    [
        ("production/**", "production/app.yaml", True),
        ("production/**", "production/eu/app.yaml", True),
        ("production/**", "staging/app.yaml", False),
        ("production/*", "production/eu/app.yaml", False),
        ("**/app.yaml", "app.yaml", True),
        ("**/app.yaml", "a/b/app.yaml", True),
        ("*.yaml", "a/b.yaml", False),
        ("env-?/x.yaml", "env-1/x.yaml", True),
        ("env-[!0-9]/x.yaml", "env-1/x.yaml", False),
        ("env-[ab]/x.yaml", "env-b/x.yaml", True),
    ],
)
def test_path_globs(glob, path, matches):
    assert bool(glob_regex(glob).match(path)) is matches


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        ("nginx", "docker.io/library/nginx"),
        ("acme/*", "docker.io/acme/*"),
        ("ngin*", "docker.io/library/ngin*"),
        ("ghcr.io/acme/**", "ghcr.io/acme/**"),
        ("localhost:5000/*", "localhost:5000/*"),
        ("*", "**"),
    ],
)
def test_image_globs_match_normalised_repositories(written, normalised):
    assert normalise_image_glob(written) == normalised


@pytest.mark.parametrize(
    ("path", "image", "change", "write", "min_age", "hold"),
    [
        ("staging/app.yaml", "docker.io/library/nginx", "patch", "commit", "1h", None),
        ("production/app.yaml", "docker.io/library/nginx", "patch", "pr", "1h", None),
        ("production/app.yaml", "ghcr.io/acme/api", "minor", "pr", "1d", None),
        ("production/app.yaml", "ghcr.io/acme/team/api", "minor", "pr", "1h", None),
        ("staging/app.yaml", "docker.io/library/nginx", "major", "pr", "1h", None),
        ("staging/db.yaml", "docker.io/library/postgres", None, "commit", "1h", True),
        ("staging/db.yaml", "docker.io/bitnami/mysql", None, "commit", "1h", True),
    ],
)
def test_settings_merge_in_order(path, image, change, write, min_age, hold):
    settings = settings_for(RULES, path, image, change)
    assert (settings.write, settings.min_age, settings.hold) == (write, parse_duration(min_age), hold)


def test_rules_with_a_change_condition_do_not_apply_to_the_image_as_a_whole():
    assert settings_for(RULES, "staging/app.yaml", "docker.io/library/nginx").pr_labels is None
    assert settings_for(RULES, "staging/app.yaml", "docker.io/library/nginx", "major").pr_labels == ("major",)


@pytest.mark.parametrize(
    ("current", "candidate", "size"),
    [
        ("1.2.3", "1.2.4", "patch"),
        ("1.2.3", "1.3.0", "minor"),
        ("1.2.3", "2.0.0", "major"),
        ("v1.2.3", "v1.2.10", "patch"),
        ("1.2", "1.2.1", "patch"),
        ("1.2.3-rc.1", "1.2.3", "patch"),
        ("1.2.3", "latest", None),
        ("main-abc", "main-def", None),
        (None, "1.0.0", None),
    ],
)
def test_change_size_by_semver(current, candidate, size):
    assert change_size(current, candidate) == size


@pytest.mark.parametrize(
    ("current", "candidate", "down"),
    [("1.2.3", "1.2.2", True), ("1.2.3", "1.3.0", False), ("latest", "1.0.0", False), (None, "1.0.0", False)],
)
def test_downgrades_are_recognised_between_versions_only(current, candidate, down):
    assert is_downgrade(current, candidate) is down


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("30m", 1800), ("24h", 86400), ("2d", 172800), ("1w", 604800), ("1d12h", 129600)],
)
def test_durations(text, seconds):
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "h", "3", "1.5h", "-1h", "12h1d", "1 h"])
def test_bad_durations(text):
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)
