"""Mistakes that a rules file used to hide until a run reached them (or forever) are refused
when it is read, with the file and line, so that `automator validate` reports them."""

import pytest

from automator.errors import ConfigError
from automator.rules import parse_rules, settings_for


def refusal(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_rules(text, "r.yaml")
    return str(caught.value)


@pytest.mark.parametrize(
    ("path", "placeholder"),
    [("staging/{filename}", "{filename}"), ("staging/{}", "{}"), ("staging/{name.stem}", "{name.stem}"),
     ("staging/{0}", "{0}")],
)
def test_an_unknown_placeholder_in_a_follow_path_is_refused_with_its_line(path, placeholder):
    message = refusal(f"rules:\n  - match: {{paths: production/**}}\n    follow: {{path: '{path}'}}\n")
    assert message.startswith("r.yaml:3: ")
    assert f"unknown placeholder {placeholder} in follow path {path!r} (use {{file}}, {{dir}}, {{name}})" in message


@pytest.mark.parametrize(
    ("path", "refused"),
    [("staging/{name", True), ("staging/name}", True), ("staging/{name!r}", True), ("staging/{name:>9}", True),
     ("staging/{{x}}/{name}", False)],  # doubled braces stand for themselves
)
def test_a_follow_path_with_a_broken_or_formatted_placeholder_is_refused(path, refused):
    text = f"rules:\n  - follow: {{path: '{path}'}}\n"
    if refused:
        assert refusal(text).startswith("r.yaml:2: ")
    else:
        assert parse_rules(text, "r.yaml").rules[0].settings.follow.path == path


@pytest.mark.parametrize(
    ("platform", "refused"),
    [("arm64", True), ("linux/", True), ("/arm64", True), ("linux/arm64/v8/extra", True), ("linux/arm 64", True),
     ("linux/arm64", False), ("linux/arm/v7", False), ("Linux/AMD64", False), ("windows/amd64", False)],
)
def test_a_platform_must_be_os_arch_variant(platform, refused):
    text = f"rules:\n  - digest: true\n    platform: '{platform}'\n"
    if refused:
        message = refusal(text)
        assert message.startswith("r.yaml:3: ") and "expected os/arch[/variant]" in message
    else:
        assert parse_rules(text, "r.yaml").rules[0].settings.platform == platform


def test_a_match_with_every_key_commented_out_is_refused():
    text = "rules:\n  - name: hold the databases\n    match:\n    #  images: postgres\n    hold: true\n"
    message = refusal(text)
    assert message.startswith("r.yaml:3: ")
    assert "an empty match: remove `match:` to apply the rule everywhere" in message


def test_a_follow_container_left_empty_is_refused():
    message = refusal("rules:\n  - follow:\n      path: staging/{name}\n      container:\n")
    assert message.startswith("r.yaml:4: ") and "'container' must be a container name" in message


@pytest.mark.parametrize("setting", ["follow: staging/{name}", "policy: 'semver:^1'"])
def test_a_rule_matching_a_change_size_cannot_choose_what_is_automated(setting):
    """Which images are automated (and what they follow) is decided before any candidate, and
    so before any change size, exists: such a rule would never apply."""
    message = refusal(f"rules:\n  - match: {{change: major}}\n    {setting}\n")
    assert message.startswith("r.yaml:3: ") and "change:" in message


@pytest.mark.parametrize(
    ("glob", "path", "applies"),
    [("production/", "production/app.yaml", True), ("production/", "production/eu/app.yaml", True),
     ("production/", "production.yaml", False), ("./production/", "production/app.yaml", True),
     ("apps/*/", "apps/web/deploy.yaml", True)],
)
def test_a_paths_glob_ending_in_a_slash_matches_everything_below_that_directory(glob, path, applies):
    rules = parse_rules(f"rules:\n  - match: {{paths: '{glob}'}}\n    hold: true\n", "r.yaml")
    assert bool(settings_for(rules, path, "ghcr.io/acme/app").hold) is applies
