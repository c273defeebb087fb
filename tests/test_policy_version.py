"""Tags are read and ordered as Masterminds/semver v3.4+ reads them (tables ported from its
version_test.go), and the helpers others use (parse_version, semver_change_size)."""

import pytest
import semver as python_semver
from hypothesis import given
from hypothesis import strategies as st

from automator.policy import compare_versions, parse_version, semver_change_size


@pytest.mark.parametrize(
    ("tag", "is_version"),
    [
        # Masterminds TestNewVersion
        ("1.2.3", True),
        ("1.2.3-alpha.01", False),
        ("1.2.3+test.01", True),
        ("1.2.3-alpha.-1", True),
        ("v1.2.3", True),
        ("1.0", True),
        ("v1.0", True),
        ("1", True),
        ("v1", True),
        ("1.2.beta", False),
        ("v1.2.beta", False),
        ("foo", False),
        ("1.2-5", True),
        ("v1.2-5", True),
        ("1.2-beta.5", True),
        ("v1.2-beta.5", True),
        ("\n1.2", False),
        ("\nv1.2", False),
        ("1.2.0-x.Y.0+metadata", True),
        ("v1.2.0-x.Y.0+metadata", True),
        ("1.2.0-x.Y.0+metadata-width-hypen", True),
        ("v1.2.0-x.Y.0+metadata-width-hypen", True),
        ("1.2.3-rc1-with-hypen", True),
        ("v1.2.3-rc1-with-hypen", True),
        ("1.2.3.4", False),
        ("v1.2.3.4", False),
        ("1.2.2147483648", True),
        ("1.2147483648.3", True),
        ("2147483648.3.0", True),
        ("12.3.4.1234", False),
        ("12.23.4.1234", False),
        ("12.3.34.1234", False),
        ("20221209-update-renovatejson-v4", True),
        # v3.4 restored leading zeros in the numeric parts
        ("01.02.03", True),
        # what the issue spells out
        ("V1.2.3", False),
        (" 1.2.3", False),
        ("1.2.3 ", False),
        ("1.2.3\n", False),
        ("latest", False),
        ("", False),
        ("1.2.3-", False),
        ("1.2.3+", False),
        ("1.2.3-a..b", False),
        ("18446744073709551615.0.0", True),
        ("18446744073709551616.0.0", False),
    ],
)
def test_which_tags_are_versions(tag, is_version):
    assert (parse_version(tag) is not None) is is_version


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        # Masterminds TestCoerceString
        ("1.2.3", "1.2.3"),
        ("v1.2.3", "1.2.3"),
        ("1.0", "1.0.0"),
        ("v1.0", "1.0.0"),
        ("1", "1.0.0"),
        ("v1", "1.0.0"),
        ("1.2-5", "1.2.0-5"),
        ("v1.2-5", "1.2.0-5"),
        ("1.2-beta.5", "1.2.0-beta.5"),
        ("v1.2-beta.5", "1.2.0-beta.5"),
        ("1.2.0-x.Y.0+metadata", "1.2.0-x.Y.0+metadata"),
        ("v1.2.0-x.Y.0+metadata", "1.2.0-x.Y.0+metadata"),
        ("1.2.0-x.Y.0+metadata-width-hypen", "1.2.0-x.Y.0+metadata-width-hypen"),
        ("v1.2.0-x.Y.0+metadata-width-hypen", "1.2.0-x.Y.0+metadata-width-hypen"),
        ("1.2.3-rc1-with-hypen", "1.2.3-rc1-with-hypen"),
        ("v1.2.3-rc1-with-hypen", "1.2.3-rc1-with-hypen"),
        ("1.2-1.4", "1.2.0-1.4"),
    ],
)
def test_versions_read_loosely_as_three_parts(tag, expected):
    version = parse_version(tag)
    assert str(version) == expected
    assert version.original == tag


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        # Masterminds TestCompare
        ("1.2.3", "1.5.1", -1),
        ("2.2.3", "1.5.1", 1),
        ("2.2.3", "2.2.2", 1),
        ("3.2-beta", "3.2-beta", 0),
        ("1.3", "1.1.4", 1),
        ("4.2", "4.2-beta", 1),
        ("4.2-beta", "4.2", -1),
        ("4.2-alpha", "4.2-beta", -1),
        ("4.2-alpha", "4.2-alpha", 0),
        ("4.2-beta.2", "4.2-beta.1", 1),
        ("4.2-beta2", "4.2-beta1", 1),
        ("4.2-beta", "4.2-beta.2", -1),
        ("4.2-beta", "4.2-beta.foo", -1),
        ("4.2-beta.2", "4.2-beta", 1),
        ("4.2-beta.foo", "4.2-beta", 1),
        ("1.2+bar", "1.2+baz", 0),
        ("1.0.0-beta.4", "1.0.0-beta.-2", -1),
        ("1.0.0-beta.-2", "1.0.0-beta.-3", -1),
        ("1.0.0-beta.-3", "1.0.0-beta.5", 1),
        # Masterminds TestGreaterThan / TestEqual
        ("3.2.0-beta.1", "3.2.0-beta.5", -1),
        ("3.2-beta.4", "3.2-beta.2", 1),
        ("7.43.0-SNAPSHOT.99", "7.43.0-SNAPSHOT.103", -1),
        ("7.43.0-SNAPSHOT.FOO", "7.43.0-SNAPSHOT.103", 1),
        ("7.43.0-SNAPSHOT.99", "7.43.0-SNAPSHOT.BAR", -1),
        ("3.2-beta+foo", "3.2-beta+bar", 0),
        # the semver rule behind the rc9/rc10 reports: rc9 and rc10 are words, rc.9 and rc.10 numbers
        ("1.0.0-rc9", "1.0.0-rc10", 1),
        ("1.0.0-rc.9", "1.0.0-rc.10", -1),
        ("v1.2", "1.2.0", 0),
        # numbers beyond 64 bits are compared as text, as Masterminds does
        ("1.0.0-99999999999999999999", "1.0.0-100000000000000000000", 1),
    ],
)
def test_versions_order_as_masterminds(a, b, expected):
    assert compare_versions(parse_version(a), parse_version(b)) == expected


@pytest.mark.parametrize(
    ("a", "b", "size"),
    [
        ("1.2.3", "2.0.0", "major"),
        ("v1.2.3", "1.3.0", "minor"),
        ("1.2.3", "1.2.4", "patch"),
        ("1.2.4", "1.2.3", "patch"),
        ("1.2.3-rc.1", "1.2.3", "prerelease"),
        ("1.2.3-rc.1", "1.2.3-rc.2", "prerelease"),
        ("1.2", "1.2.0", None),
        ("1.2.3+a", "1.2.3+b", None),
        ("latest", "1.2.3", None),
        ("1.2.3", "main", None),
    ],
)
def test_semver_change_size(a, b, size):
    assert semver_change_size(a, b) == size


_number = st.integers(min_value=0, max_value=50)
_identifier = st.one_of(
    st.integers(min_value=0, max_value=200).map(str),
    st.text(alphabet="abcxyzABC-019", min_size=1, max_size=5).filter(lambda s: not s.isdigit()),
)
_strict = st.builds(
    lambda a, b, c, pre: f"{a}.{b}.{c}" + (f"-{'.'.join(pre)}" if pre else ""),
    _number,
    _number,
    _number,
    st.lists(_identifier, max_size=3),
)


@given(_strict, _strict)
def test_order_agrees_with_the_semver_specification(a, b):
    """For strict SemVer 2.0 versions the order is the specification's (python-semver)."""
    expected = python_semver.Version.parse(a).compare(python_semver.Version.parse(b))
    assert compare_versions(parse_version(a), parse_version(b)) == expected
