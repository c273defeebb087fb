"""Choosing by semver: the highest version in range, returned exactly as the registry lists it,
including the cases peers get wrong (v prefixes, 1.2-style tags, rc9/rc10)."""

import pytest

from automator.model import PolicySpec, TagInfo
from automator.policy import make_policy


def choose(policy, tags, current=None, **spec):
    selection = make_policy(PolicySpec(policy, **spec)).select([TagInfo(t) for t in tags], current)
    return selection.chosen


@pytest.mark.parametrize(
    ("policy", "tags", "chosen"),
    [
        ("semver:>=1.0.0", ["1.0.0", "1.2.0", "1.10.0", "1.9.0"], "1.10.0"),
        ("semver:~1.2", ["1.2.0", "1.2.7", "1.3.0"], "1.2.7"),
        ("semver:^1", ["0.9.0", "1.4.2", "2.0.0"], "1.4.2"),
        # the v prefix is read and kept (fluxcd/pkg #771, keel #544)
        ("semver:>=1.0.0", ["v1.0.0", "v1.3.0", "v1.2.9"], "v1.3.0"),
        ("semver:^1", ["1.2.0", "v1.3.0"], "v1.3.0"),
        # 1.2-style tags are versions (1.2.0)
        ("semver:>=1.0", ["1.1", "1.2", "1.1.9"], "1.2"),
        ("semver:~1", ["1", "1.5", "2"], "1.5"),
        # equal versions: the lexically greatest tag string
        ("semver:^1", ["1.10", "1.10.0"], "1.10.0"),
        ("semver:^1", ["1.10.0", "1.10"], "1.10.0"),
        ("semver:^1", ["v1.2.0", "1.2.0"], "v1.2.0"),
        ("semver:^1", ["1.2.0+b", "1.2.0+a"], "1.2.0+b"),
        # tags that are not versions are skipped, never fatal
        ("semver:*", ["latest", "main", "V2.0.0", "1.2.3.4", "sha-abc", "1.0.0"], "1.0.0"),
        # prereleases only when the range asks for them
        ("semver:>=1.0.0", ["1.0.0", "1.1.0-rc.1"], "1.0.0"),
        ("semver:>=1.0.0-0", ["1.0.0", "1.1.0-rc.1"], "1.1.0-rc.1"),
        ("semver:>=1.0.0-0 <2.0.0", ["1.5.0-rc.1", "1.4.0"], "1.5.0-rc.1"),
        ("semver:>=1.0.0-0", ["1.1.0-rc.1", "1.1.0"], "1.1.0"),
        # rc.10 is above rc.9; rc10 is below rc9 (SemVer compares those as words)
        ("semver:>=1.0.0-0", ["1.0.0-rc.9", "1.0.0-rc.10"], "1.0.0-rc.10"),
        ("semver:>=1.0.0-0", ["1.0.0-rc9", "1.0.0-rc10"], "1.0.0-rc9"),
        ("semver:>=2", ["1.0.0", "latest"], None),
        ("semver:>=1", [], None),
    ],
)
def test_semver_chooses_the_highest_version_in_range(policy, tags, chosen):
    assert choose(policy, tags) == chosen


def test_rc_numbers_without_a_dot_order_numerically_through_extract():
    """The fix for flux2 #4599 / argocd-image-updater #626 without breaking SemVer: extract
    the number into its own identifier and compare that, while returning the real tag."""
    tags = ["v7.8.0-rc8", "v7.8.0-rc9", "v7.8.0-rc10", "v7.7.0"]
    chosen = choose(
        "semver:>=7.0.0-0",
        tags,
        filter=r"^v(?P<version>[0-9]+\.[0-9]+\.[0-9]+)-rc(?P<rc>[0-9]+)$",
        extract="$version-rc.$rc",
    )
    assert chosen == "v7.8.0-rc10"


def test_reason_names_the_constraint_the_counts_and_the_winner():
    selection = make_policy(PolicySpec("semver:^1")).select(
        [TagInfo(t) for t in ["1.0.0", "1.4.0", "2.0.0", "latest", "1.5.0-rc.1"]]
    )
    assert selection.chosen == "1.4.0"
    assert "'^1'" in selection.reason and "1.4.0" in selection.reason
    assert "5 tags considered, 2 qualify" in selection.reason
    assert selection.considered == 5
    assert selection.excluded_count == 3
    assert dict(selection.excluded) == {
        "2.0.0": "outside the range",
        "latest": "not a version",
        "1.5.0-rc.1": "prerelease not admitted by the constraint",
    }


def test_excluded_sample_is_capped_but_counts_are_complete():
    tags = [TagInfo(f"build-{n}") for n in range(5000)] + [TagInfo("1.0.0")]
    selection = make_policy(PolicySpec("semver:>=1")).select(tags)
    assert selection.chosen == "1.0.0"
    assert selection.excluded_count == 5000
    assert 0 < len(selection.excluded) <= 100
    assert "5000 not a version" in selection.reason


@pytest.mark.parametrize(
    ("tags", "current", "chosen", "said"),
    [
        # current is the best: kept
        (["1.3.9", "1.4.0"], "1.4.0", "1.4.0", "keeping current 1.4.0"),
        # current is above every listed tag (a tag was deleted): never downgrade
        (["1.3.9", "1.3.0"], "1.4.0", "1.4.0", "orders at or above the best candidate 1.3.9"),
        # equal version spelled differently: no churn
        (["1.10.0"], "1.10", "1.10", "keeping current 1.10"),
        # something better exists: move
        (["1.3.9", "1.5.0"], "1.4.0", "1.5.0", "current 1.4.0 orders below it"),
        # current outside the range (e.g. pinned by hand): the policy wins
        (["1.3.9", "1.5.0"], "2.0.0", "1.5.0", "current 2.0.0 does not qualify (outside the range)"),
        # nothing listed qualifies but current does: keep it
        (["latest"], "1.4.0", "1.4.0", "no other tag qualifies"),
        # nothing qualifies at all
        (["latest"], "main", None, "current main does not qualify either (not a version)"),
    ],
)
def test_never_downgrade(tags, current, chosen, said):
    selection = make_policy(PolicySpec("semver:^1")).select([TagInfo(t) for t in tags], current)
    assert selection.chosen == chosen
    assert said in selection.reason


def test_admits_and_orders_above():
    policy = make_policy(PolicySpec("semver:^1"))
    assert policy.admits("v1.2") and not policy.admits("2.0.0") and not policy.admits("latest")
    assert policy.orders_above(TagInfo("1.3.0"), TagInfo("1.2.9"))
    assert not policy.orders_above(TagInfo("1.2.0"), TagInfo("v1.2"))
    assert policy.orders_above(TagInfo("1.0.0"), TagInfo("latest"))
    assert not policy.orders_above(TagInfo("latest"), TagInfo("1.0.0"))
    assert policy.needs_build_time is False
