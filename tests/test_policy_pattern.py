"""User and registry patterns are Go's regexp (RE2): Go's syntax and meaning, linear time.

Flux v1, Flux v2 and Argo CD Image Updater compile tag patterns with Go's ``regexp``; a
pattern copied from them means the same here, and what Go refuses is refused with a message
that says it is not Go/RE2 syntax.
"""

import pytest

from automator.errors import ExitCode, PolicyError
from automator.model import PolicySpec, TagInfo
from automator.policy import make_policy
from automator.policy.pattern import PatternSyntaxError, compile_go_regex


def chosen(policy: str, tags: list[str], **spec) -> str | None:
    return make_policy(PolicySpec(policy, **spec)).select([TagInfo(t) for t in tags]).chosen


@pytest.mark.parametrize(
    ("pattern", "text", "found"),
    [
        # POSIX classes inside brackets (Python's re reads [[:digit:]] as a set of ':' and letters)
        (r"^[[:digit:]]+$", "2024", "2024"),
        (r"^[[:alpha:]]+-[[:xdigit:]]+$", "main-0af3", "main-0af3"),
        (r"^[[:digit:]]+$", "v1", None),
        # a{,2} is literal text in Go, not "up to two a"
        (r"^a{,2}$", "a{,2}", "a{,2}"),
        (r"^a{,2}$", "aa", None),
        # Unicode classes, one-letter and named
        (r"\pL+", "héllo1", "héllo"),
        (r"^\p{Greek}+$", "αβγ", "αβγ"),
        # \z is the end of the text
        (r"-rc\z", "1.0-rc", "-rc"),
        (r"-rc\z", "1.0-rc1", None),
        # (?U) swaps greedy and lazy
        (r"(?U)[0-9]+", "12345", "1"),
        (r"(?U)[0-9]+?", "12345", "12345"),
        # \Q...\E quotes literal text
        (r"^\Q1.0+build\E$", "1.0+build", "1.0+build"),
        (r"^\Q1.0+build\E$", "1x0build", None),
        # \d is ASCII digits only, as in Go
        (r"^\d+$", "١٢٣", None),
        # leftmost-first alternation, as Go (not leftmost-longest)
        (r"a|ab", "ab", "a"),
    ],
)
def test_patterns_mean_what_they_mean_in_go(pattern, text, found):
    match = compile_go_regex(pattern).search(text)
    assert (match.group() if match else None) == found


def test_search_match_and_fullmatch_anchor_differently():
    regex = compile_go_regex("[0-9]+")
    assert regex.search("v12").group() == "12"
    assert regex.match("v12") is None
    assert regex.match("12v").group() == "12"
    assert regex.fullmatch("12v") is None
    assert regex.fullmatch("12").group() == "12"


def test_named_groups_in_both_go_spellings_feed_extract_templates():
    tags = ["main-100-abc", "main-99-def", "dev-500-x"]
    for pattern in (r"^main-(?P<ts>[0-9]+)-", r"^main-(?<ts>[0-9]+)-"):
        for extract in ("$ts", "${ts}", "$1", "${1}"):
            assert chosen("numerical", tags, filter=pattern, extract=extract) == "main-100-abc"


def test_extract_templates_expand_as_go_expand():
    policy = make_policy(PolicySpec("alphabetical", filter=r"^(?P<major>[0-9]+)\.(?P<minor>[0-9]+)", extract="v${major}_$minor-$$"))
    assert policy.describe().endswith("(comparing 'v${major}_$minor-$$')")
    regex = compile_go_regex(r"^(?P<major>[0-9]+)\.(?P<minor>[0-9]+)")
    from automator.policy.pattern import parse_template

    assert parse_template("v${major}_$minor-$$ $", regex).expand(regex.search("1.22")) == "v1_22-$ $"
    # a group that took no part expands to nothing
    optional = compile_go_regex(r"^(a)?(b)")
    assert parse_template("[$1][$2]", optional).expand(optional.search("b")) == "[][b]"


@pytest.mark.parametrize(
    ("pattern", "text", "span"),
    [(r"\B", "aé9", None), (r"\B", "éé", (0, 0)), (r"é\B", "xéé", (1, 2)), (r"\B", "a\udcff9", None)],
)
def test_empty_matches_fall_between_whole_characters_as_in_go(pattern, text, span):
    # RE2 looks at bytes: \B held between the two bytes of é, where Go never looks
    found = compile_go_regex(pattern).search(text)
    assert (found.span() if found else None) == span


def test_groups_have_character_offsets_in_non_ascii_tags():
    regex = compile_go_regex(r"(?P<word>\pL+)-(?P<n>[0-9]+)")
    match = regex.search("🚀-ünïcode-42")
    assert (match.group("word" and 1), match.group(2)) == ("ünïcode", "42")
    assert match.span(1) == (2, 9)


@pytest.mark.parametrize(
    ("pattern", "hint"),
    [
        (r"^(?=v)", "no lookahead or lookbehind"),
        (r"^(?!v)", "no lookahead or lookbehind"),
        (r"(?<=v)[0-9]+", "no lookahead or lookbehind"),
        (r"(?<!v)[0-9]+", "no lookahead or lookbehind"),
        (r"^(a)\1$", "no backreferences"),
        (r"^(?P<x>a)(?P=x)$", "no backreferences"),
        (r"^a\Z", r"write \z"),
        (r"^a++$", "no atomic groups or possessive"),
        (r"^\C$", r"invalid escape sequence: \C"),
        (r"(?# a comment)a", "no comments or verbose mode"),
        (r"a{1001}", "invalid repetition size"),
        (r"(", "missing )"),
    ],
)
def test_what_go_refuses_is_refused_as_not_go_re2_syntax(pattern, hint):
    with pytest.raises(PatternSyntaxError) as caught:
        compile_go_regex(pattern)
    assert "not Go/RE2 syntax" in str(caught.value)
    assert hint in str(caught.value)


def test_escaped_backslash_before_c_and_quoted_c_are_literal():
    assert compile_go_regex(r"\\C").search("a\\Cb").group() == "\\C"
    assert compile_go_regex(r"\Q\C\E").search("x\\Cy").group() == "\\C"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (PolicySpec("regex:^(?=v)"), "invalid regular expression '^(?=v)': not Go/RE2 syntax"),
        (PolicySpec("numerical", filter=r"(\d)\1"), r"invalid filter regex '(\\d)\\1': not Go/RE2 syntax"),
    ],
)
def test_policy_errors_name_the_pattern_and_are_configuration_errors(spec, message):
    with pytest.raises(PolicyError) as caught:
        make_policy(spec)
    assert message in str(caught.value)
    assert caught.value.exit_code == ExitCode.USAGE


def test_nothing_is_logged_to_stderr_when_a_pattern_is_refused(capfd):
    with pytest.raises(PatternSyntaxError):
        compile_go_regex("(?=quiet)")
    assert capfd.readouterr().err == ""


def test_policy_text_is_trimmed_only_of_go_whitespace():
    # \t \n \f \r and space are Go's \s; \v, NBSP and EM SPACE are text
    assert make_policy(PolicySpec("regex: \t^a$\r\n")).admits("a")
    assert not make_policy(PolicySpec("regex:^a$\u00a0")).admits("a")
    assert make_policy(PolicySpec("regex:^a\u2003$")).admits("a\u2003")


def test_a_refused_exclusion_pattern_is_named_as_such():
    with pytest.raises(PolicyError) as caught:
        make_policy(PolicySpec("semver:^1", exclude=("^(?!1)",)))
    assert "invalid exclusion regex '^(?!1)': not Go/RE2 syntax" in str(caught.value)
    assert make_policy(PolicySpec("semver:^1", exclude=(r"\.sig\z",))).admits("1.0.0")


def test_compiled_patterns_survive_pickling():
    import pickle

    regex = pickle.loads(pickle.dumps(compile_go_regex(r"^(?P<v>\d+)$")))
    assert regex.search("42").group(1) == "42" and regex.groupindex == {"v": 1}


@pytest.mark.parametrize(("pattern", "text"), [(r"(?P<w>\pL+)-(\d+)", "🚀-ünï-42"), (r"^(a)?(b)$", "b"), ("x", "yyy")])
def test_the_public_module_methods_give_the_same_matches_as_the_fast_path(pattern, text):
    fast = compile_go_regex(pattern)
    public = type(fast)(pattern)
    public._anchors = None  # as with a module that lacks the match primitive
    for how in ("search", "match", "fullmatch"):
        a, b = getattr(fast, how)(text), getattr(public, how)(text)
        assert (a is None) == (b is None)
        if a is not None:
            assert [a.span(i) for i in range(fast.groups + 1)] == [b.span(i) for i in range(fast.groups + 1)]
            assert [a.group(i) for i in range(fast.groups + 1)] == [b.group(i) for i in range(fast.groups + 1)]
