"""``ignore-tags`` globs mean what they mean to Argo CD Image Updater.

Argo's ``IsTagIgnored`` calls argo-cd's ``glob.Match``: github.com/gobwas/glob without
separators. Besides ``*`` and ``?`` that grammar has character classes (``[0-9]``, ``[!abc]``),
alternatives (``{a,b}``, nesting) and ``\\`` escapes; reading those characters literally made
``*-rc[0-9]`` ignore nothing. A glob gobwas refuses (an unclosed ``[`` or ``{``) makes Argo
log an error and ignore nothing with it; here it is a problem of the image, named, instead of a
silent no-op.
"""

import pytest

from automator.manifest.argocd.config import (
    UpdateSettings,
    glob_regex,
    images_from_annotations,
    policy_for,
)
from automator.model import TagInfo
from automator.policy import make_policy
from automator.policy.pattern import compile_go_regex

P = "argocd-image-updater.argoproj.io/"


def ignored(glob: str, tag: str) -> bool:
    return compile_go_regex(glob_regex(glob)).search(tag) is not None


@pytest.mark.parametrize(
    ("glob", "ignored_tag", "kept_tag"),
    [
        ("*-rc[0-9]", "1.1.0-rc1", "1.1.0-rcx"),  # a release candidate
        ("*-rc[13]", "1.1.0-rc3", "1.1.0-rc2"),
        ("*-[!0-9]*", "1.0-beta", "1.0-2"),
        ("*-[!ab]", "1.0-c", "1.0-a"),
        ("*-{rc,beta}*", "2.0-beta.1", "2.0-alpha.1"),
        ("v{1.{2,3},2}.*", "v1.3.0", "v1.4.0"),  # alternatives nest
        ("{}latest", "latest", "{}latest"),
        ("sha\\-\\*", "sha-*", "sha\\-\\*"),  # \ makes the next character literal
        ("[\\]]x", "]x", "\\x"),
    ],
)
def test_ignore_tags_globs_read_classes_alternatives_and_escapes_as_gobwas_glob(glob, ignored_tag, kept_tag):
    assert (ignored(glob, ignored_tag), ignored(glob, kept_tag)) == (True, False)


def test_a_class_in_ignore_tags_keeps_release_candidates_out_of_the_choice():
    _, spec = policy_for("nginx", "", UpdateSettings(ignore_tags=("*-rc[0-9]",)), source="a.yaml", line=1)
    tags = [TagInfo("1.0.0"), TagInfo("1.1.0-rc1")]
    assert make_policy(spec).select(tags).chosen == "1.0.0"


@pytest.mark.parametrize(
    ("glob", "problem"),
    [
        ("*-rc[0-9", "the '[' at character 5 is never closed by ']'"),
        ("*-{rc,beta", "the '{' at character 3 is never closed by '}'"),
        ("[]", "the '[' at character 1 holds no character"),
        ("[z-a]*", "the range 'z-a' at character 1 runs from high to low"),
        ("[a-z0-9]*", "the '[' at character 1 holds more than a range"),
        ("debug\\", "it ends with a lone '\\'"),
    ],
)
def test_a_glob_gobwas_refuses_is_refused_naming_the_glob(glob, problem):
    with pytest.raises(ValueError) as caught:
        policy_for("nginx", "", UpdateSettings(ignore_tags=("*-debug", glob)), source="a.yaml", line=1)
    assert str(caught.value).startswith(f"ignore-tags {glob!r}: {problem}")


def test_an_annotation_with_such_a_glob_is_a_problem_of_that_image_only():
    """Argo would log the error and ignore nothing with the glob; here the entry says why."""
    annotations = {
        P + "image-list": "web=ghcr.io/acme/web, api=ghcr.io/acme/api",
        P + "web.ignore-tags": "*-debug, *-rc[0-9",
    }
    images, errors = images_from_annotations(annotations, source="apps/web.yaml", line=1)
    assert [image.alias for image in images] == ["api"]
    assert errors == ["image-list entry 'web=ghcr.io/acme/web': ignore-tags '*-rc[0-9': "
                      "the '[' at character 5 is never closed by ']'"]


def test_an_annotation_splits_alternatives_at_commas_as_argo_does_and_says_so():
    annotations = {P + "image-list": "web=ghcr.io/acme/web", P + "web.ignore-tags": "*-{rc,beta}*"}
    _, errors = images_from_annotations(annotations, source="apps/web.yaml", line=1)
    assert "ignore-tags '*-{rc': the '{' at character 3 is never closed" in errors[0]
    assert "split at every comma" in errors[0]
