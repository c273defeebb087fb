"""alphabetical, numerical (Flux v2), glob and regex by build time (Flux v1), and
filter + extract (Flux v2 filterTags) with every kind."""

from datetime import datetime, timedelta, timezone

import pytest

from automator.model import PolicySpec, TagInfo
from automator.policy import make_policy

T0 = datetime(2024, 5, 1, tzinfo=timezone.utc)


def choose(policy, tags, current=None, **spec):
    infos = [t if isinstance(t, TagInfo) else TagInfo(t) for t in tags]
    return make_policy(PolicySpec(policy, **spec)).select(infos, current).chosen


@pytest.mark.parametrize(
    ("policy", "tags", "chosen"),
    [
        ("alphabetical", ["RELEASE.2024-04-30", "RELEASE.2024-05-01", "RELEASE.2023-12-31"], "RELEASE.2024-05-01"),
        ("alphabetical:asc", ["a", "c", "b"], "c"),
        ("alphabetical:desc", ["b", "a", "c"], "a"),
        ("alphabetical", ["Z", "a"], "a"),  # by character code: lowercase after uppercase
        ("alphabetical", ["9", "10"], "9"),  # characters, not numbers
        ("alphabetical", [], None),
    ],
)
def test_alphabetical(policy, tags, chosen):
    assert choose(policy, tags) == chosen


@pytest.mark.parametrize(
    ("policy", "tags", "chosen"),
    [
        ("numerical", ["9", "10", "100"], "100"),
        ("numerical:asc", ["1.5", "1.25", "-3"], "1.5"),
        ("numerical:desc", ["9", "10", "100"], "9"),
        ("numerical:desc", ["3", "-1", "0"], "-1"),
        ("numerical", ["1e3", "999"], "1e3"),
        # one tag that is not a number is ignored, not fatal (image-reflector-controller #340)
        ("numerical", ["1", "2", "latest"], "2"),
        ("numerical", ["v3", "4", "nan", "inf", "0x10", ""], "4"),
        # equal values: the lexically greatest tag
        ("numerical", ["1.0", "1", "01"], "1.0"),
        ("numerical", ["latest", "main"], None),
        # exact values beyond float precision: millisecond timestamps, long build numbers
        ("numerical:desc", ["20240501123045124", "20240501123045123"], "20240501123045123"),
        ("numerical", ["99999999999999999", "100000000000000000"], "100000000000000000"),
    ],
)
def test_numerical(policy, tags, chosen):
    assert choose(policy, tags) == chosen


def test_numerical_reason_counts_the_ignored_tags():
    selection = make_policy(PolicySpec("numerical")).select([TagInfo(t) for t in ["1", "2", "latest"]])
    assert selection.chosen == "2"
    assert "1 not a number" in selection.reason


def dated(tag, hours=None):
    return TagInfo(tag, created=None if hours is None else T0 + timedelta(hours=hours))


@pytest.mark.parametrize(
    ("policy", "tags", "chosen"),
    [
        # newest build among matching tags, whatever the names say
        ("glob:main-*", [dated("main-b", 1), dated("main-a", 5), dated("dev-z", 9)], "main-a"),
        ("glob:*", [dated("x", 1), dated("y", 2)], "y"),
        ("glob:main-*-amd64", [dated("main-1-amd64", 1), dated("main-2-arm64", 2)], "main-1-amd64"),
        ("glob:release", [dated("release", 1), dated("release-2", 2)], "release"),
        # only * is special, as in Flux v1
        ("glob:v1.?", [dated("v1.2", 1), dated("v1.?", 0)], "v1.?"),
        ("glob:v[12]", [dated("v1", 1), dated("v[12]", 0)], "v[12]"),
        ("regex:^main-[0-9a-f]+$", [dated("main-abc", 1), dated("main-def", 2), dated("main-xyz", 3)], "main-def"),
        ("regexp:^main-", [dated("main-1", 2), dated("main-2", 1)], "main-1"),
        # unanchored search
        ("regex:rc", [dated("1.0-rc1", 1), dated("1.0", 2)], "1.0-rc1"),
        # a tag with a build time beats any tag without one
        ("glob:*", [dated("zzz"), dated("aaa", 0)], "aaa"),
        # no build times at all: lexically greatest matching tag
        ("glob:main-*", [dated("main-1"), dated("main-3"), dated("main-2"), dated("zz")], "main-3"),
        # equal build times: lexically greatest
        ("regex:.", [dated("a", 1), dated("c", 1), dated("b", 1)], "c"),
    ],
)
def test_glob_and_regex_order_by_build_time(policy, tags, chosen):
    assert choose(policy, tags) == chosen


def test_reason_says_which_build_time_rule_chose():
    timed = make_policy(PolicySpec("glob:*")).select([dated("a", 1), dated("b")])
    assert timed.chosen == "a"
    assert "chose a, the newest build among matching tags (built 2024-05-01T01:00:00Z)" in timed.reason
    untimed = make_policy(PolicySpec("glob:*")).select([dated("a"), dated("b")])
    assert untimed.chosen == "b"
    assert "lexically greatest matching tag, as no matching tag has a known build time" in untimed.reason


def test_build_time_policies_say_they_need_build_times():
    assert make_policy(PolicySpec("glob:*")).needs_build_time
    assert make_policy(PolicySpec("regex:.")).needs_build_time
    assert not make_policy(PolicySpec("numerical")).needs_build_time


def test_naive_build_times_are_read_as_utc():
    naive = TagInfo("naive", created=datetime(2024, 5, 1, 12, 0))
    aware = TagInfo("aware", created=datetime(2024, 5, 1, 11, 0, tzinfo=timezone.utc))
    assert choose("glob:*", [naive, aware]) == "naive"


def test_never_downgrade_by_build_time():
    tags = [dated("main-old", 1), dated("main-new", 2)]
    assert choose("glob:main-*", tags, current="main-new") == "main-new"
    assert choose("glob:main-*", tags, current="main-old") == "main-new"
    assert choose("glob:main-*", tags, current="dev-x") == "main-new"


@pytest.mark.parametrize(
    ("policy", "filter_", "extract", "tags", "chosen"),
    [
        # Flux v2 docs: numerical timestamps in branch-sha-ts tags
        (
            "numerical",
            r"^main-[a-fA-F0-9]+-(?P<ts>[0-9]+)",
            "$ts",
            ["main-abc123-1714550000", "main-def456-1714560000", "dev-aaa-1799999999"],
            "main-def456-1714560000",
        ),
        # semver inside a longer tag
        ("semver:>=1.0.0", r"^app-(?P<v>.*)$", "${v}", ["app-1.2.0", "app-1.10.0", "1.20.0"], "app-1.10.0"),
        ("semver:^1", r"^release-(\d+\.\d+\.\d+)", "$1", ["release-1.2.3-extra", "release-2.0.0"], "release-1.2.3-extra"),
        # Go's (?<name>) spelling works
        ("numerical", r"-(?<n>\d+)$", "$n", ["a-9", "b-10"], "b-10"),
        # filter alone: the kind compares the whole tag
        ("alphabetical", r"^stable-", None, ["stable-a", "stable-b", "z"], "stable-b"),
        # $$ is a literal dollar; $x1 is a group named x1, not $x followed by 1
        ("alphabetical", r"(?P<x1>\w)$", "$$$x1", ["p", "q"], "q"),
        # tags extracting the same value: the lexically greatest original tag
        ("numerical", r"-(\d+)$", "$1", ["b-5", "a-5", "c-4"], "b-5"),
    ],
)
def test_filter_and_extract(policy, filter_, extract, tags, chosen):
    assert choose(policy, tags, filter=filter_, extract=extract) == chosen


def test_filter_reason_names_the_filter():
    selection = make_policy(PolicySpec("alphabetical", filter="^stable-")).select([TagInfo("x")])
    assert selection.chosen is None
    assert selection.excluded == (("x", "does not match filter '^stable-'"),)


@pytest.mark.parametrize("policy", ["glob:0.*", "regex:^0\\."])
def test_current_tag_is_kept_only_when_it_wins_the_same_tie_break(policy):
    """With no build times the lexically greatest tag wins, for the current tag too."""
    untimed = make_policy(PolicySpec(policy))
    assert untimed.select([dated("0.3.1"), dated("0.4.0")], current="0.3.1").chosen == "0.4.0"
    assert untimed.select([dated("0.3.1"), dated("0.4.0")], current="0.4.0").chosen == "0.4.0"
    same_time = [dated("0.3.1", 1), dated("0.4.0", 1)]
    assert untimed.select(same_time, current="0.3.1").chosen == "0.4.0"
    newer_current = [dated("0.3.1", 2), dated("0.4.0", 1)]
    assert untimed.select(newer_current, current="0.3.1").chosen == "0.3.1"
