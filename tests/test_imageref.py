"""Image references are read exactly as docker (distribution/reference) reads them."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from automator.errors import ImageRefError
from automator.imageref import normalise_repository, parse_image_ref

DIGEST = "sha256:" + "0123456789abcdef" * 4


@pytest.mark.parametrize(
    ("text", "repository", "tag", "digest"),
    [
        ("nginx", "docker.io/library/nginx", None, None),
        ("nginx:1.25", "docker.io/library/nginx", "1.25", None),
        ("library/nginx:latest", "docker.io/library/nginx", "latest", None),
        ("docker.io/nginx", "docker.io/library/nginx", None, None),
        ("index.docker.io/library/nginx", "docker.io/library/nginx", None, None),
        ("bitnami/redis:7", "docker.io/bitnami/redis", "7", None),
        ("ghcr.io/org/app:v1.2.3", "ghcr.io/org/app", "v1.2.3", None),
        ("ghcr.io/app", "ghcr.io/app", None, None),
        ("localhost/app:1", "localhost/app", "1", None),
        ("localhost:5000/team/app:1", "localhost:5000/team/app", "1", None),
        ("127.0.0.1:5000/app", "127.0.0.1:5000/app", None, None),
        ("registry.example.com:443/a/b/c:tag_1.0-x", "registry.example.com:443/a/b/c", "tag_1.0-x", None),
        (f"nginx@{DIGEST}", "docker.io/library/nginx", None, DIGEST),
        (f"nginx:1.25@{DIGEST}", "docker.io/library/nginx", "1.25", DIGEST),
        ("my-org/my__app.x:1", "docker.io/my-org/my__app.x", "1", None),
    ],
)
def test_parse_normalises_identity(text, repository, tag, digest):
    ref = parse_image_ref(text)
    assert (ref.repository, ref.tag, ref.digest) == (repository, tag, digest)


@pytest.mark.parametrize(
    "text",
    [
        "",
        " nginx",
        "nginx:",
        "Nginx",  # uppercase path
        "org/App:1",
        "nginx:-bad",
        "nginx:" + "a" * 129,
        "nginx@sha256:abc",
        "nginx@sha256:" + "G" * 64,
        "a//b",
        "app_/x",
        "-app",
    ],
)
def test_invalid_references_are_rejected_with_the_reference_named(text):
    with pytest.raises(ImageRefError):
        parse_image_ref(text)


def test_tag_of_128_characters_is_the_maximum():
    assert parse_image_ref("nginx:" + "a" * 128).tag == "a" * 128


def test_writing_back_keeps_the_users_spelling():
    ref = parse_image_ref("index.docker.io/nginx:1.0")
    assert ref.with_tag("1.1") == "index.docker.io/nginx:1.1"
    assert parse_image_ref("nginx").with_tag("2") == "nginx:2"
    assert ref.written == "index.docker.io/nginx:1.0"


def test_registry_host_is_case_insensitive_for_identity():
    assert normalise_repository("GHCR.io/org/app:1") == "ghcr.io/org/app"


_component = st.from_regex(r"[a-z0-9]+([._-][a-z0-9]+)?", fullmatch=True)
_tag = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}", fullmatch=True)


@given(st.lists(_component, min_size=1, max_size=4), st.none() | _tag)
def test_written_form_round_trips(components, tag):
    name = "/".join(components)
    text = name if tag is None else f"{name}:{tag}"
    ref = parse_image_ref(text)
    assert ref.written == text
    assert parse_image_ref(ref.with_tag(tag)).repository == ref.repository


def test_an_empty_reference_says_it_is_empty_rather_than_asking_to_remove_whitespace():
    """``image: ''`` has no whitespace to remove: the message says what is wrong with it."""
    with pytest.raises(ImageRefError) as raised:
        parse_image_ref("")
    assert "empty" in str(raised.value) and "whitespace" not in str(raised.value)
    with pytest.raises(ImageRefError, match="remove surrounding whitespace"):
        parse_image_ref(" nginx")
