"""Flux v2 marker comments: what counts as a marker, and which field kind it names."""

import pytest

from automator.manifest.fluxv2.marker import parse_marker


@pytest.mark.parametrize(
    ("comment", "policy", "field"),
    [
        ('# {"$imagepolicy": "flux-system:app"}', "flux-system:app", "image"),
        ('# {"$imagepolicy": "flux-system:app:tag"}', "flux-system:app", "tag"),
        ('# {"$imagepolicy": "flux-system:app:name"}', "flux-system:app", "name"),
        ('# {"$imagepolicy": "flux-system:app:digest"}', "flux-system:app", "digest"),
        ('#{"$imagepolicy":"apps:web"}', "apps:web", "image"),
        ('#   {  "$imagepolicy"  :  "apps:web:tag"  }  ', "apps:web", "tag"),
        ('## {"$imagepolicy": "apps:web"}', "apps:web", "image"),
        ('# {"note": "kept", "$imagepolicy": "apps:web"}', "apps:web", "image"),
        # a policy whose name is a suffix word is still a whole-image marker
        ('# {"$imagepolicy": "flux-system:tag"}', "flux-system:tag", "image"),
    ],
)
def test_markers_are_read_with_flux_whitespace_tolerance(comment, policy, field):
    marker = parse_marker(comment)
    assert marker is not None
    assert (marker.policy, marker.field) == (policy, field)


@pytest.mark.parametrize(
    "comment",
    [
        "# just a comment",
        '# $imagepolicy: "apps:web"',
        '# {"$imagepolicy": "apps:web"} and more',
        '# {"$imagepolicy": ""}',
        '# {"$imagepolicy": "apps:web", "replicas": 3}',
        '# {"$imagepolicy": ["apps:web"]}',
        "# {'$imagepolicy': 'apps:web'}",
    ],
)
def test_comments_that_are_not_a_json_object_of_strings_are_no_markers(comment):
    assert parse_marker(comment) is None


@pytest.mark.parametrize(
    ("value", "valid"),
    [("apps:web", True), ("apps:web:tag", True), ("web", False), (":web", False), ("a:b:c", False)],
)
def test_a_marker_says_whether_it_can_name_any_policy(value, valid):
    marker = parse_marker('# {"$imagepolicy": "' + value + '"}')
    assert marker is not None and marker.valid is valid
