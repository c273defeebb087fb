"""No pattern or glob makes matching slow: time grows with the length of the text, never
exponentially. The cases that took a minute with a backtracking engine, and random and
adversarial patterns, each stay within a generous bound on time per character."""

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from automator.model import PolicySpec, TagInfo
from automator.policy import make_policy
from automator.policy.pattern import compile_go_regex
from automator.rules.values import glob_regex

# Generous: a linear matcher needs microseconds per character; a backtracking one needed
# seconds for a 26-character tag. The floor absorbs a loaded machine.
SECONDS_PER_CHARACTER = 0.002
FLOOR = 0.5


def within_linear_bound(work, length: int) -> float:
    start = time.perf_counter()
    work()
    elapsed = time.perf_counter() - start
    assert elapsed < FLOOR + SECONDS_PER_CHARACTER * length, f"{elapsed:.3f}s for {length} characters"
    return elapsed


def select(policy: PolicySpec, tags: list[str]):
    return make_policy(policy).select([TagInfo(t) for t in tags])


def test_a_filter_with_nested_repetition_rejects_a_registry_tag_quickly():
    # 4.7 s with a backtracking engine at 26 characters, doubling with each character more
    tags = ["1.2.3.4.5.6.7.8.9.10.11.1!", "1" * 120 + "!", "1." * 60 + "!"]
    policy = PolicySpec("alphabetical", filter=r"^([0-9]+\.?)+$")
    within_linear_bound(lambda: select(policy, tags), sum(map(len, tags)))
    assert select(policy, tags + ["1.2.3"]).chosen == "1.2.3"


def test_an_ambiguous_alternation_under_a_star_is_linear():
    tag = "a" * 127 + "b"
    within_linear_bound(lambda: select(PolicySpec("regex:^(a|a)*$"), [tag]), len(tag))
    assert select(PolicySpec("regex:^(a|a)*$"), [tag, "a" * 128]).chosen == "a" * 128


def test_a_glob_of_many_stars_against_a_long_tag_is_fast():
    tag = "a-" * 63 + "ab"  # 128 characters, no final z
    policy = PolicySpec("glob:*-*-*-*-*-*-*-*-z")
    within_linear_bound(lambda: select(policy, [tag]), len(tag))
    assert select(policy, [tag, tag + "-z"]).chosen == tag + "-z"


def test_a_rule_path_glob_of_many_stars_is_fast():
    path = "a-" * 200 + "b.yaml"
    within_linear_bound(lambda: glob_regex("*-*-*-*-*-*-*-*-*-z.yaml").match(path), len(path))
    assert glob_regex("**/*-*-*-b.yaml").match(path)


# --- random and adversarial patterns ---------------------------------------------------------

_ATOMS = st.sampled_from(["a", "b", ".", "[0-9]", r"\d", "a?", "[ab]", r"\.", "x*"])


def _patterns():
    return st.recursive(
        _ATOMS,
        lambda inner: st.one_of(
            st.tuples(inner, inner).map("".join),
            st.tuples(inner, inner).map(lambda p: f"({p[0]}|{p[1]})"),
            inner.map(lambda p: f"({p})*"),
            inner.map(lambda p: f"({p})+"),
            inner.map(lambda p: f"(?:{p}){{1,3}}"),
        ),
        max_leaves=12,
    )


_TEXTS = st.one_of(
    st.text(alphabet="ab1.x!", max_size=128),
    st.builds(lambda n, end: "a" * n + end, st.integers(0, 128), st.sampled_from(["", "!", "b", "1"])),
    st.builds(lambda n: "1." * n + "!", st.integers(0, 64)),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pattern=_patterns(), text=_TEXTS)
def test_random_nested_patterns_match_in_time_linear_in_the_tag(pattern, text):
    regex = compile_go_regex(f"^{pattern}$")
    within_linear_bound(lambda: (regex.search(text), regex.fullmatch(text), compile_go_regex(pattern).search(text)), len(text))


@settings(max_examples=150, deadline=None)
@given(glob=st.text(alphabet="*-az", min_size=1, max_size=24), tag=st.text(alphabet="-az", max_size=128))
def test_random_globs_match_in_time_linear_in_the_tag(glob, tag):
    policy = make_policy(PolicySpec("glob:" + glob))
    within_linear_bound(lambda: policy.admits(tag), len(tag))
    within_linear_bound(lambda: glob_regex(glob).match(tag), len(tag))


@settings(max_examples=200, deadline=None)
@given(glob=st.text(alphabet="*?ab-", min_size=1, max_size=10), tag=st.text(alphabet="ab-", max_size=16))
def test_star_globs_match_exactly_what_a_backtracking_matcher_matches(glob, tag):
    """The greedy matcher is a faster spelling of the same language (checked on short tags)."""
    import re

    oracle = re.compile(".*".join(re.escape(part) for part in glob.split("*")), re.DOTALL)
    assert make_policy(PolicySpec("glob:" + glob)).admits(tag) is (oracle.fullmatch(tag) is not None)


_KINDS = [
    PolicySpec("semver:^1"),
    PolicySpec("semver:>=1.0.0-0", strict_versions=True),
    PolicySpec("numerical"),
    PolicySpec("alphabetical"),
    PolicySpec("glob:1.*-*"),
    PolicySpec("regex:^([0-9]+\\.?)+-(a|a1)*$"),
    PolicySpec("numerical", filter=r"^(?P<n>[0-9]+)(\.[0-9]+)*-", extract="$n"),
]


@settings(max_examples=60, deadline=None)
@given(piece=st.text(alphabet="1.-a+v!xe", min_size=1, max_size=5), count=st.integers(1, 400), end=st.sampled_from(["", "!", ".", "-"]))
def test_every_policy_kind_reads_long_registry_tags_in_linear_time(piece, count, end):
    """A registry chooses the tags: no tag, however long or odd, makes any policy slow."""
    tag = piece * count + end
    for spec in _KINDS:
        policy = make_policy(spec)
        within_linear_bound(lambda p=policy: p.select([TagInfo(tag), TagInfo("1.0.0")]), len(tag))
