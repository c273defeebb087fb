"""Numbers of any length in tags and constraints are answered, never a crash.

Masterminds/semver reads each numeric part with ``ParseUint(..., 64)``: a part of 2^64 or more
makes the tag *not a version*, however many digits it has, and a prerelease identifier too big
for 64 bits compares as text. Python's ``int()`` refuses more than 4300 digits, so such a tag
(or one an extract template builds) used to stop ``automator select`` with exit 70.
"""

import subprocess
import sys
from pathlib import Path

import pytest

from automator.model import PolicySpec, TagInfo
from automator.policy import make_policy
from automator.policy.constraint import ConstraintSyntaxError, parse_constraint
from automator.policy.version import parse_key

ROOT = Path(__file__).resolve().parent.parent
HUGE = "1" * 4301  # one digit past Python's int() limit


@pytest.mark.parametrize("tag", [HUGE, f"v1.{HUGE}", f"1.0.{HUGE}", f"{HUGE}.0.0-rc.1"])
def test_a_numeric_part_of_thousands_of_digits_makes_a_tag_not_a_version(tag):
    assert parse_key(tag) is None


def test_leading_zeros_of_any_length_do_not_count_towards_the_limit():
    """ParseUint reads ``000…01`` as 1, so Masterminds reads this tag as version 1.0.0."""
    key, _ = parse_key("0" * 5000 + "1")
    assert key[:3] == (1, 0, 0)


def test_a_prerelease_number_of_thousands_of_digits_compares_as_text():
    """Too big for 64 bits, the identifier is text: above every number, below ``rc`` by ASCII."""
    huge, small, word = (parse_key(f"1.0.0-{pre}")[0] for pre in (HUGE, "99", "rc"))
    assert small < huge < word
    policy = make_policy(PolicySpec("semver:>=0.0.0-0"))
    assert policy.select([TagInfo(f"1.0.0-{HUGE}"), TagInfo("1.0.0-99")]).chosen == f"1.0.0-{HUGE}"


def test_an_extracted_value_of_thousands_of_digits_is_not_a_version():
    policy = make_policy(PolicySpec("semver:*", filter="^([0-9]+)$", extract="$1" * 50))
    selection = policy.select([TagInfo("1" * 100), TagInfo("2")])
    assert selection.chosen is None
    assert dict(selection.excluded) == {"1" * 100: "not a version", "2": "not a version"}


@pytest.mark.parametrize("constraint", [HUGE, f">=1.0.0 <{HUGE}", f"~1.{HUGE}", "<=18446744073709551616"])
def test_a_constraint_number_of_2_to_the_64_or_more_is_refused_with_a_reason(constraint):
    with pytest.raises(ConstraintSyntaxError) as caught:
        parse_constraint(constraint)
    message = str(caught.value)
    assert "is not a version: its numbers must be below 2^64" in message
    assert len(message) < 200  # a long number is shown by its start and length


@pytest.mark.parametrize(
    ("args", "exit_code", "stdout"),
    [
        (["semver:*", HUGE, "1.0.0"], 0, "1.0.0\n"),
        (["semver:>=0.0.0-0", f"1.0.0-{HUGE}"], 0, f"1.0.0-{HUGE}\n"),
        (["semver:*", "--filter", "^([0-9]+)$", "--extract", "$1" * 50, "1" * 100], 1, ""),
        ([f"semver:{HUGE}", "1.0.0"], 2, ""),
    ],
)
def test_select_answers_huge_numbers_with_its_usual_exit_codes(args, exit_code, stdout):
    """Each of these used to exit 70 ("internal error") or with Python's own message."""
    done = subprocess.run([sys.executable, "-m", "automator", "select", *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert (done.returncode, done.stdout) == (exit_code, stdout)
    assert "Exceeds the limit" not in done.stderr and "internal error" not in done.stderr
