"""Capture-group names mean what they mean in Go's ``regexp``.

Go lets several groups share a name and its ``Regexp.Expand`` (which Flux's ``extract`` uses)
inserts the first group of that name that took part in the match, so a filter with one
alternative per tag shape can extract from each. Go accepts only ASCII letters, digits and
``_`` in a name ("invalid named capture"); RE2 alone would also take other letters, which
would make a pattern valid here that Flux and Argo CD refuse.
"""

import pytest

from automator.errors import ExitCode, PolicyError
from automator.model import PolicySpec, TagInfo
from automator.policy import make_policy
from automator.policy.pattern import PatternSyntaxError, compile_go_regex, parse_template


def expand(pattern: str, template: str, text: str) -> str:
    regex = compile_go_regex(pattern)
    return parse_template(template, regex).expand(regex.search(text))


def test_a_shared_name_extracts_from_whichever_alternative_matched():
    """Flux chooses b-9, the greatest number among both tag shapes."""
    policy = make_policy(PolicySpec("numerical", filter=r"^a-(?P<n>[0-9]+)$|^b-(?P<n>[0-9]+)$", extract="$n"))
    selection = policy.select([TagInfo("a-5"), TagInfo("b-9")])
    assert selection.chosen == "b-9"
    assert selection.excluded == ()


@pytest.mark.parametrize(
    ("pattern", "template", "text", "expanded"),
    [
        (r"^a-(?P<n>[0-9]+)$|^b-(?P<n>[0-9]+)$", "${n}", "b-9", "9"),
        (r"^a-(?<n>[0-9]+)$|^b-(?P<n>[0-9]+)$", "[$n]", "b-9", "[9]"),  # both Go spellings are one name
        # when several groups of the name take part, the first one wins
        (r"^(?P<n>[0-9]+)?-(?P<n>[a-z]+)$", "$n", "-abc", "abc"),
        # groups are numbered past classes, escapes and quotes that hold parentheses
        (r"^[(](?P<n>x)?[^)\]](?P<n>[0-9]+)$", "$n", "(-42", "42"),
        (r"^\((?P<n>x)?\Q(\E(?P<n>[0-9]+)$", "$n", "((42", "42"),
        (r"^[[:punct:](](?P<n>x)?(?P<n>[0-9]+)$", "$n", "(42", "42"),
        (r"^(?i)(?:v)(?P<n>x)?(?P<n>[0-9]+)$", "$n", "V42", "42"),
    ],
)
def test_a_shared_name_expands_to_the_first_of_its_groups_that_took_part(pattern, template, text, expanded):
    assert expand(pattern, template, text) == expanded


@pytest.mark.parametrize("pattern", [r"(?P<é>x)", r"(?<名前>x)", r"^v(?P<ver_1>[0-9]+)-(?P<ünï>.*)$"])
def test_a_group_name_beyond_ascii_letters_digits_and_underscore_is_refused_as_go_refuses_it(pattern):
    with pytest.raises(PatternSyntaxError) as caught:
        compile_go_regex(pattern)
    assert "not Go/RE2 syntax: invalid named capture" in str(caught.value)
    assert "ASCII letters, digits and _" in str(caught.value)


def test_a_policy_with_a_non_ascii_group_name_is_a_configuration_error():
    """``automator select 'regex:(?P<é>x)' x`` chose x; Flux and Argo CD refuse the pattern."""
    with pytest.raises(PolicyError) as caught:
        make_policy(PolicySpec("regex:(?P<é>x)"))
    assert "invalid named capture" in str(caught.value)
    assert caught.value.exit_code == ExitCode.USAGE

