"""Pure readers of registry answers: tag pages, Link headers, indexes, build times."""

from datetime import datetime, timezone

import pytest

from automator.registry.formats import (
    FormatError,
    created_from_config,
    next_page,
    parse_tag_page,
    parse_time,
    pick_platform,
    same_origin,
)


@pytest.mark.parametrize(
    ("body", "tags"),
    [
        (b'{"name": "a", "tags": ["2", "1"]}', ["2", "1"]),
        (b'{"name": "a", "tags": null}', []),  # an empty repository in distribution
        (b'{"name": "a"}', []),
    ],
)
def test_tag_pages(body, tags):
    assert parse_tag_page(body) == tags


@pytest.mark.parametrize("body", [b"<html>", b"[]", b'{"tags": "1.0"}', b'{"tags": [1, 2]}'])
def test_malformed_tag_pages_are_rejected(body):
    with pytest.raises(FormatError):
        parse_tag_page(body)


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ('</v2/a/tags/list?n=2&last=b>; rel="next"', "https://r.example/v2/a/tags/list?n=2&last=b"),
        ('<https://r.example/v2/a/tags/list?last=b>; rel=next', "https://r.example/v2/a/tags/list?last=b"),
        ('</v2/a/tags/list?last=z>; rel="prev"', None),
        (None, None),
    ],
)
def test_next_page_from_link_header(link, expected):
    assert next_page("https://r.example/v2/a/tags/list?n=1000", link) == expected


def test_same_origin_compares_scheme_and_host():
    assert same_origin("https://r.example/v2/x", "https://R.example/v2/y")
    assert not same_origin("https://r.example/v2/x", "https://evil.example/v2/x")
    assert not same_origin("https://r.example/v2/x", "http://r.example/v2/x")


INDEX = {
    "manifests": [
        {"digest": "sha256:amd", "platform": {"os": "linux", "architecture": "amd64"}},
        {"digest": "sha256:armv7", "platform": {"os": "linux", "architecture": "arm", "variant": "v7"}},
        {"digest": "sha256:arm64", "platform": {"os": "linux", "architecture": "arm64"}},
        {"digest": "sha256:att", "platform": {"os": "unknown", "architecture": "unknown"}},
    ]
}


@pytest.mark.parametrize(
    ("platform", "digest"),
    [("linux/amd64", "sha256:amd"), ("linux/arm/v7", "sha256:armv7"), ("linux/arm64/v8", "sha256:arm64"),
     ("linux/arm64", "sha256:arm64"), ("linux/arm/v6", None), ("windows/amd64", None)],
)
def test_platform_is_picked_from_an_index(platform, digest):
    chosen = pick_platform(INDEX, platform)
    assert (chosen or {}).get("digest") == digest


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-01T10:00:00Z", datetime(2024, 5, 1, 10, tzinfo=timezone.utc)),
        ("2024-05-01T10:00:00.123456789Z", datetime(2024, 5, 1, 10, 0, 0, 123456, tzinfo=timezone.utc)),
        ("2024-05-01T12:00:00+02:00", datetime(2024, 5, 1, 10, tzinfo=timezone.utc)),
        ("1970-01-01T00:00:00Z", None),  # reproducible builds: no real time
        ("yesterday", None),
        (None, None),
    ],
)
def test_times(text, expected):
    assert parse_time(text) == expected


def test_created_falls_back_to_the_oci_label():
    config = {"config": {"Labels": {"org.opencontainers.image.created": "2023-01-02T03:04:05Z"}}}
    assert created_from_config(config) == datetime(2023, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    assert created_from_config({**config, "created": "2024-01-01T00:00:00Z"}).year == 2024
    assert created_from_config({"config": {"Labels": None}}) is None
