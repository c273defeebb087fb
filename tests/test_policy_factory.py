"""An invalid policy fails at construction with a message that says what is wrong and where."""

import subprocess
import sys

import pytest

from automator.errors import ExitCode, PolicyError
from automator.model import PolicySpec
from automator.policy import POLICIES, make_policy


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (PolicySpec("semver:"), "semver needs an argument after the colon"),
        (PolicySpec("semver"), "semver needs an argument"),
        (PolicySpec("semver:>=1.2<2"), "improper constraint '>=1.2<2'"),
        (PolicySpec("semver:1.2.3.4"), "at most three numeric parts"),
        (PolicySpec("semver:>=1.0 || foo"), "improper constraint 'foo'"),
        (PolicySpec("Semver:^1"), "kinds are lowercase: semver:^1"),
        (PolicySpec("latest"), "unknown policy kind 'latest'; known kinds: semver, alphabetical"),
        (PolicySpec("alphabetical:up"), "use alphabetical:asc or alphabetical:desc"),
        (PolicySpec("numerical:ascending"), "use numerical:asc or numerical:desc"),
        (PolicySpec("glob:"), "glob needs an argument"),
        (PolicySpec("regex:("), "invalid regular expression '('"),
        (PolicySpec("regexp:[a-"), "invalid regular expression '[a-'"),
        (PolicySpec("numerical", filter="(x"), "invalid filter regex '(x'"),
        (PolicySpec("numerical", extract="$1"), "extract '$1' needs a filter"),
        (PolicySpec("numerical", filter="a(b)", extract="$2"), "$2 refers to group 2, but the filter has 1 group"),
        (PolicySpec("numerical", filter="(?P<ts>\\d+)", extract="$tz"), "$tz is not a named group of the filter (named groups: ts)"),
        (PolicySpec("numerical", filter="x", extract=""), "extract is empty"),
        # Go's Expand reads the longest name and allows no leading zero: these are names
        (PolicySpec("numerical", filter="-([0-9]+)$", extract="$1x"), "$1x is not a named group of the filter (named groups: none); write ${1}x for group 1"),
        (PolicySpec("numerical", filter="-([0-9]+)$", extract="$01"), "$01 is not a named group of the filter (named groups: none); write ${1} for group 1"),
    ],
)
def test_invalid_policies_say_what_is_wrong(spec, message):
    with pytest.raises(PolicyError) as caught:
        make_policy(spec)
    assert message in str(caught.value)
    assert repr(spec.spec) in str(caught.value)
    assert caught.value.exit_code == ExitCode.USAGE


def test_errors_say_where_the_policy_was_written():
    with pytest.raises(PolicyError) as caught:
        make_policy(PolicySpec("semver:>=1.2<2", source="apps/web/deploy.yaml", line=12))
    assert str(caught.value).startswith("apps/web/deploy.yaml:12: policy 'semver:>=1.2<2': ")
    assert (caught.value.source, caught.value.line) == ("apps/web/deploy.yaml", 12)


def test_every_kind_in_the_table_builds():
    arguments = {"semver": ":^1", "glob": ":*", "regex": ":.", "regexp": ":."}
    for kind, cls in POLICIES.items():
        policy = make_policy(PolicySpec(kind + arguments.get(kind, "")))
        assert isinstance(policy, cls)
        assert policy.spec.spec.startswith(kind)


def test_the_table_names_policy_modules_and_loads_a_kind_only_when_asked_for():
    code = (
        "import sys; from automator.policy import POLICIES, make_policy; from automator.model import PolicySpec; "
        "make_policy(PolicySpec('semver:^1')); print(sorted(m for m in sys.modules if m.startswith('automator.policy.') or m in ('decimal', 'datetime')))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "automator.policy.semver" in loaded
    assert "numerical" not in loaded and "glob" not in loaded and "fluxsemver" not in loaded
    assert "'decimal'" not in loaded and "'datetime'" not in loaded  # numerical's and the build-time kinds' libraries
    assert all(path.startswith("automator.policy.") for path in POLICIES.paths.values())


def test_glob_keeps_spaces_in_its_pattern_and_semver_ignores_them():
    assert make_policy(PolicySpec("glob:a *")).admits("a b")
    assert not make_policy(PolicySpec("glob:a *")).admits("ab")
    assert make_policy(PolicySpec("semver: >=1.0 ")).admits("1.0.0")
