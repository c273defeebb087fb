"""Constraint text is read in one pass: the same answers as Masterminds' regexes, in linear time.

The oracle below is Masterminds/semver's own regexes (constraints.go), run by a backtracking
engine: exact, but exponential on some malformed text, so it only sees short constraints.
The scanner must agree with it on every constraint (accepted or not, the same comparators,
the same message), and must refuse long malformed constraints within a generous bound on
time per character (Go refuses 2,000 comparators in under a millisecond).
"""

import gc
import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from automator.model import PolicySpec, TagInfo
from automator.policy import make_policy, parse_constraint
from automator.policy.constraint import ConstraintSyntaxError

# --- the oracle: Masterminds' regexes, verbatim -----------------------------------------------

_WS = r"[\t\n\f\r ]"
_CV = (
    r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?"
    r"(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
    r"(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
)
_OPS = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^"
_RANGE = re.compile(rf"{_WS}*({_CV}){_WS}+-{_WS}+({_CV}){_WS}*")
_FIND = re.compile(rf"({_OPS}){_WS}*({_CV})")
_ONE = re.compile(rf"{_WS}*({_OPS}){_WS}*({_CV}){_WS}*")
_VALID = re.compile(rf"({_WS}*({_OPS}){_WS}*({_CV}){_WS}*)((?:{_WS}+|,{_WS}*)({_OPS}){_WS}*({_CV}){_WS}*)*")


def oracle(text: str):
    """(rewritten text, [[(op, version text), ...] per OR-group]) or ('invalid', part)."""
    out = text
    for m in _RANGE.finditer(text):
        out = out.replace(m.group(0), f">= {m.group(1)}, <= {m.group(11)} ", 1)
    groups = []
    for part in out.split("||"):
        if not _VALID.fullmatch(part):
            return "invalid", part.strip(" \t\n\f\r")
        terms = [m.group(0) for m in _FIND.finditer(part)] or [part]
        groups.append([_ONE.fullmatch(t).group(1, 2) for t in terms])
    return out, groups


def ours(text: str):
    from automator.policy.constraint_scan import LeftoverHyphen, rewrite_ranges, scan_terms

    try:
        out = rewrite_ranges(text)
    except LeftoverHyphen:
        return "invalid", None
    groups = []
    for part in out.split("||"):
        terms = scan_terms(part)
        if terms is None:
            return "invalid", part.strip(" \t\n\f\r")
        groups.append([(t[1], t[2]) for t in terms])
    return out, groups


def agree(ours, theirs) -> bool:
    """The same rewritten text and comparators, or the same refusal naming the same part; a
    refusal for a hyphen left between spaces (``None``) only has to be a refusal."""
    if ours[0] == "invalid" and ours[1] is None:
        return theirs[0] == "invalid"
    return ours == theirs


_ALPHABET = " ,|-=<>~^!10x*v.a+\t\v"


@settings(max_examples=1500, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=14))
def test_the_scanner_reads_every_constraint_as_masterminds_regexes_do(text):
    assert agree(ours(text), oracle(text))


@settings(max_examples=800, deadline=None)
@given(st.lists(st.sampled_from(["1", "1.2", "v1.2.3", "x", "1.x", "2.0.0-rc.1", "1.0+b", ">=", "<", "~", "^", "!=",
                                 " ", "  ", ",", ", ", " - ", "||", " || ", "-", "1.2.3.4", "a", "|"]), max_size=8).map("".join))
def test_the_scanner_agrees_on_constraints_built_from_real_pieces(text):
    assert agree(ours(text), oracle(text))


@pytest.mark.parametrize(
    "text",
    ["1 - 2", " 1.2 - 3.4.5 ", "1 - 2||3 - 4", "1.2.3.4 - 5", "a1 - 2", "1 - 2 - 3", "1 - 2.3.4.5 - 6",
     "v1 - v2, >3", "1\t-\n2", "1 - >2", "1-1-1 - 2", ">1 - 2", "x - *",
     "1 - 1 - 1 , 1 - 1", "1 - 2- 3 , 2 - 3", "a - 1 - 2"],
)
def test_hyphen_ranges_are_rewritten_with_masterminds_quirks(text):
    assert agree(ours(text), oracle(text))


# --- time -----------------------------------------------------------------------------------

SECONDS_PER_CHARACTER = 0.00005  # 0.5 s for 10,000 characters: ten times the aim of 50 ms
FLOOR = 0.05


def best_time(work, tries: int = 3) -> float:
    """The best of a few runs, without garbage collection: a loaded machine only adds time."""
    times = []
    gc.disable()
    try:
        for _ in range(tries):
            start = time.perf_counter()
            work()
            times.append(time.perf_counter() - start)
    finally:
        gc.enable()
    return min(times)


def refused_within_bound(text: str) -> float:
    def refuse():
        with pytest.raises(ConstraintSyntaxError):
            parse_constraint(text)

    elapsed = best_time(refuse)
    assert elapsed < FLOOR + SECONDS_PER_CHARACTER * len(text), f"{elapsed:.3f}s for {len(text)} characters"
    return elapsed


def ten_thousand(piece: str, end: str = "!", start: str = "") -> str:
    body = 10_000 - len(start) - len(end)
    return start + (piece * (body // len(piece) + 1))[:body] + end


ADVERSARIAL = [
    ten_thousand("1  "),  # two spaces between comparators, then junk: 40 s at 16 comparators before
    ten_thousand("1 "),
    ten_thousand(">= 1, "),
    ten_thousand("1 - "),
    ten_thousand("1-", end="! - 2"),  # a long prerelease-like word before a hyphen range
    ten_thousand("1.", end="! - 2"),
    ten_thousand("1-1 - ", end="-"),
    ten_thousand("1"),
    ten_thousand("v", end=""),
    ten_thousand("| ", start="1 ", end=""),
    ten_thousand("a.", start="1.2.3-"),
]


@pytest.mark.parametrize("text", ADVERSARIAL, ids=lambda t: repr(t[:12]))
def test_a_malformed_constraint_of_10000_characters_is_refused_quickly(text):
    assert len(text) == 10_000
    refused_within_bound(text)


@settings(max_examples=40, deadline=None)
@given(piece=st.text(alphabet=_ALPHABET, min_size=1, max_size=6), count=st.integers(1, 1500), junk=st.sampled_from(["!", "@", "1.2.3.4", ">"]))
def test_repeated_random_pieces_are_read_in_time_linear_in_their_length(piece, count, junk):
    text = piece * count + junk

    def parse():
        try:
            parse_constraint(text)
        except ConstraintSyntaxError:
            pass

    elapsed = best_time(parse)
    assert elapsed < FLOOR + SECONDS_PER_CHARACTER * len(text), f"{elapsed:.3f}s for {len(text)} characters"


def test_a_long_valid_constraint_is_read_in_linear_time_too():
    text = " ".join(f">={i}.0.0" for i in range(1000)) + " || " + ", ".join(f"!={i}.1" for i in range(1000))
    assert best_time(lambda: parse_constraint(text)) < FLOOR + SECONDS_PER_CHARACTER * len(text)
    constraint = parse_constraint(text)
    assert [len(g.comparators) for g in constraint.groups] == [1000, 1000]


# --- what Masterminds refuses and accepts at the edges -----------------------------------------


@pytest.mark.parametrize("text", ["^1\v", "\v^1", "^1\u00a0", "\u2003>=1.0"])
def test_only_go_whitespace_is_trimmed(text):
    with pytest.raises(ConstraintSyntaxError, match="improper constraint"):
        parse_constraint(text)
    assert parse_constraint(" \t^1\r\n\f").check("1.5.0")


def test_semver_policy_refuses_a_vertical_tab_as_masterminds_does():
    from automator.errors import PolicyError

    with pytest.raises(PolicyError, match="improper constraint"):
        make_policy(PolicySpec("semver:^1\v"))


def test_numbers_that_overflow_uint64_are_not_versions():
    policy = make_policy(PolicySpec("semver:>=1.0.0"))
    tags = [TagInfo("20240501120000123456"), TagInfo("1.5.0")]
    assert policy.select(tags).chosen == "1.5.0"
    assert policy.admits("18446744073709551615")  # 2^64 - 1 still fits
    assert not policy.admits("18446744073709551616")
    assert not policy.admits("1.18446744073709551616.0")
    assert not policy.admits("v0.0.020240501120000123456")
    with pytest.raises(ConstraintSyntaxError, match="is not a version"):
        parse_constraint(">=18446744073709551616")


@pytest.mark.parametrize("piece", ["1 - ", "1 - 1 ", "1 - 2- "])
def test_hyphen_ranges_stay_linear_well_past_10000_characters(piece):
    """The rewrite never searches the text rewritten so far (Masterminds' strings.Replace)."""
    text = (piece * 20_000)[:80_000] + "!"
    refused_within_bound(text)
