"""``ignore-tags`` patterns mean what they mean to Argo CD Image Updater.

Argo's ``IsTagIgnored`` ignores a tag when Go's ``filepath.Match(pattern, tag)`` matches without
an error: ``*`` and ``?`` stop at ``/``, a class is ``[`` [``^``] ranges ``]`` (``!`` is an
ordinary character), ``\\`` escapes, and braces are literal text. A malformed pattern makes
``filepath.Match`` return ``ErrBadPattern``: Argo then ignores nothing with it, and so does the
Automator, with a warning naming the pattern.
"""

import pytest

from automator.manifest.argocd.catalog import AppsBuilder
from automator.manifest.argocd.config import UpdateSettings, images_from_annotations, policy_for
from automator.model import TagInfo
from automator.policy import make_policy
from automator.policy.pattern import compile_go_regex

P = "argocd-image-updater.argoproj.io/"


def ignored(pattern: str, tag: str) -> bool:
    """Whether an image with this ``ignore-tags`` pattern ignores ``tag``."""
    _, spec = policy_for("nginx", "", UpdateSettings(ignore_tags=(pattern,)), source="a.yaml", line=1)
    return any(compile_go_regex(regex).search(tag) is not None for regex in spec.exclude)


# Go's own table (path/filepath/match_test.go), the rows without ErrBadPattern
GO_MATCH_TESTS = [
        ("abc", "abc", True), ("*", "abc", True), ("*c", "abc", True), ("a*", "a", True), ("a*", "abc", True),
        ("a*", "ab/c", False), ("a*/b", "abc/b", True), ("a*/b", "a/c/b", False),
        ("a*b*c*d*e*/f", "axbxcxdxe/f", True), ("a*b*c*d*e*/f", "axbxcxdxexxx/f", True),
        ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", False), ("a*b*c*d*e*/f", "axbxcxdxexxx/fff", False),
        ("a*b?c*x", "abxbbxdbxebxczzx", True), ("a*b?c*x", "abxbbxdbxebxczzy", False),
        ("ab[c]", "abc", True), ("ab[b-d]", "abc", True), ("ab[e-g]", "abc", False),
        ("ab[^c]", "abc", False), ("ab[^b-d]", "abc", False), ("ab[^e-g]", "abc", True),
        ("a\\*b", "a*b", True), ("a\\*b", "ab", False),
        ("a?b", "a☺b", True), ("a[^a]b", "a☺b", True), ("a???b", "a☺b", False), ("a[^a][^a][^a]b", "a☺b", False),
        ("[a-ζ]*", "α", True), ("*[a-ζ]", "A", False), ("a?b", "a/b", False), ("a*b", "a/b", False),
        ("[\\]a]", "]", True), ("[\\-]", "-", True), ("[x\\-]", "x", True), ("[x\\-]", "-", True),
        ("[x\\-]", "z", False), ("[\\-x]", "x", True), ("[\\-x]", "-", True), ("[\\-x]", "a", False),
        ("*x", "xxx", True),
]


def test_ignore_tags_patterns_match_as_gos_filepath_match():
    assert [(pattern, name) for pattern, name, matched in GO_MATCH_TESTS if ignored(pattern, name) is not matched] == []


@pytest.mark.parametrize(
    ("pattern", "ignored_tag", "kept_tag"),
    [
        ("*-[0-9a-f][0-9a-f][0-9a-f]*", "main-3fa9c1", "main-xyz"),  # several ranges in one class
        ("*-[^0-9]*", "1.0-beta", "1.0-2"),  # ^ negates
        ("*-[!ab]", "1.0-a", "1.0-c"),  # ! is an ordinary character
        ("v{1,2}", "v{1,2}", "v1"),  # braces are literal text, no alternatives
    ],
)
def test_classes_braces_and_escapes_are_read_as_go_reads_them(pattern, ignored_tag, kept_tag):
    assert (ignored(pattern, ignored_tag), ignored(pattern, kept_tag)) == (True, False)


def test_a_range_written_high_to_low_holds_no_character():
    assert (ignored("[z-a]*", "zebra"), ignored("[^z-a]*", "zebra")) == (False, True)


def test_a_class_in_ignore_tags_keeps_release_candidates_out_of_the_choice():
    _, spec = policy_for("nginx", "", UpdateSettings(ignore_tags=("*-rc[0-9]",)), source="a.yaml", line=1)
    tags = [TagInfo("1.0.0"), TagInfo("1.1.0-rc1")]
    assert make_policy(spec).select(tags).chosen == "1.0.0"


# Go's own table, the rows with ErrBadPattern, and a few more of the same kinds
MALFORMED = ["[]a]", "[-]", "[x-]", "[-x]", "\\", "[a-b-c]", "[", "[^", "[^bc", "a[", "a/b[", "*-rc[0-9", "[]", "debug\\", "[^]"]


def test_a_malformed_pattern_ignores_no_tag():
    tags = ("a", "]", "-", "x", "ab", "1.0-rc1", "debug\\", "")
    assert [pattern for pattern in MALFORMED if any(ignored(pattern, tag) for tag in tags)] == []


def test_a_malformed_pattern_is_a_warning_and_the_image_is_still_updated():
    annotations = {
        P + "image-list": "web=ghcr.io/acme/web, api=ghcr.io/acme/api",
        P + "web.ignore-tags": "*-debug, *-rc[0-9",
        P + "write-back-method": "git",
    }
    images, errors = images_from_annotations(annotations, source="apps/web.yaml", line=1)
    assert errors == [] and [image.alias for image in images] == ["web", "api"]
    assert images[0].policy.exclude == ("^[^/]*\\-debug$",)  # the malformed pattern ignores nothing
    builder = AppsBuilder()
    builder.add("apps/web.yaml", {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
                                  "metadata": {"name": "web", "annotations": annotations},
                                  "spec": {"source": {"path": "charts/web", "helm": {}}}}, 1)
    (app,), (warning,) = builder.build()
    assert warning.severity == "warning"
    assert warning.message.startswith("apps/web.yaml: Application web: image web: ignore-tags '*-rc[0-9' is not a valid "
                                      "pattern (the '[' at character 5 is never closed by ']'); it ignores no tag")


def test_an_annotation_is_split_at_commas_so_braces_hold_no_alternatives():
    annotations = {P + "image-list": "web=ghcr.io/acme/web", P + "web.ignore-tags": "*-{rc,beta}*"}
    (web,), errors = images_from_annotations(annotations, source="apps/web.yaml", line=1)
    assert errors == [] and web.policy.exclude == ("^[^/]*\\-\\{rc$", "^beta\\}[^/]*$")
