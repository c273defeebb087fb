"""Push events from every supported source become the same pushed image references."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from automator.errors import ExitCode
from automator.events.payloads import MAX_EVENT_BYTES, READERS, EventError, detect, read_event
from automator.events.pushed import parse_pushed

FIXTURES = Path(__file__).parent / "events"
DIGEST = "sha256:fea8895f450959fa676bcc1df0611ea93823a735a01205fd8622846041d0c7cf"


def pushed(name: str, source: str | None = None) -> list[str]:
    return [str(image) for image in read_event((FIXTURES / name).read_bytes(), source)]


@pytest.mark.parametrize(
    ("fixture", "source", "expected"),
    [
        ("distribution.json", "distribution", [f"registry.example.com:5000/acme/app:1.4.2@{DIGEST}"]),
        ("harbor.json", "harbor", [f"harbor.example.com/acme/app:1.4.2@{DIGEST}"]),
        ("harbor-cloudevents.json", "harbor", [f"harbor.example.com/acme/app:1.4.2@{DIGEST}"]),
        ("dockerhub.json", "dockerhub", ["docker.io/acme/app:1.4.2"]),
        ("github-registry-package.json", "github", [f"ghcr.io/acme/app:1.4.2@{DIGEST}"]),
        ("generic.json", "generic", ["ghcr.io/acme/app:1.4.2"]),
        ("repository-dispatch.json", "generic", ["ghcr.io/acme/app:1.4.2", f"ghcr.io/acme/worker:2.0.1@{DIGEST}"]),
    ],
)
def test_each_source_yields_the_pushed_references(fixture, source, expected):
    assert pushed(fixture, source) == expected
    assert detect(json.loads((FIXTURES / fixture).read_text())) == source
    assert pushed(fixture) == expected  # detected by shape when the source is not named


def test_a_distribution_envelope_keeps_tagged_manifest_pushes_only():
    # the fixture also holds a layer push (no tag) and a pull: neither moves anything
    images = read_event((FIXTURES / "distribution.json").read_bytes())
    assert [(i.repository, i.tag, i.digest) for i in images] == [("registry.example.com:5000/acme/app", "1.4.2", DIGEST)]


def test_events_that_are_not_pushes_are_valid_and_empty():
    assert read_event({"events": [{"action": "pull", "target": {"repository": "a", "tag": "1"}}]}) == ()
    assert read_event({"type": "SCANNING_COMPLETED", "event_data": {}}, "harbor") == ()
    assert read_event({"action": "published", "registry_package": {"package_type": "npm"}}) == ()


def test_a_github_package_url_with_the_owner_login_in_capitals_names_the_lowercase_image():
    # GitHub writes the owner's login as spelled (Acme); GHCR serves the image as ghcr.io/acme/app
    event = json.loads((FIXTURES / "github-registry-package.json").read_text())
    event["registry_package"]["package_version"]["package_url"] = "ghcr.io/Acme/App:1.4.2"
    assert [str(image) for image in read_event(event, "github")] == [f"ghcr.io/acme/app:1.4.2@{DIGEST}"]


def test_repeated_pushes_of_one_tag_count_once():
    event = {"images": ["ghcr.io/acme/app:1.0.0", "ghcr.io/acme/app:1.0.0"]}
    assert len(read_event(event)) == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "not JSON"),
        (b"\xff\xfe", "not UTF-8"),
        (b"[1, 2]", "not a supported push event"),
        (b'{"hello": "world"}', "not a supported push event"),
        (b'{"events": "push"}', "events must be a list"),
        (b'{"events": [{"action": "push", "target": {"repository": "a", "tag": "1"}}]}', "request.host must be a non-empty string"),
        (b'{"events": [{"action": "push", "target": {"repository": 7, "tag": "1"}, "request": {"host": "r.io"}}]}', "target.repository must be a non-empty string"),
        (b'{"push_data": {"tag": ""}, "repository": {"repo_name": "acme/app"}}', "push_data.tag must be a non-empty string"),
        (b'{"push_data": {"tag": "1"}, "repository": []}', "repository must be an object"),
        (b'{"image": "ghcr.io/acme/app"}', "names no tag"),
        (b'{"image": "ghcr.io/Acme/App:1"}', "must be lowercase"),
        (b'{"images": []}', "images is empty"),
        (b'{"images": [null]}', "images[0] must be a non-empty string"),
        (b'{"type": "PUSH_ARTIFACT", "event_data": {"resources": [{"tag": "1"}]}}', "resource_url must be a non-empty string"),
        (b"[" * 100_000 + b"]" * 100_000, "nests too deeply"),
    ],
)
def test_malformed_or_hostile_payloads_are_usage_errors_that_say_what_is_wrong(body, message):
    with pytest.raises(EventError) as caught:
        read_event(body)
    assert message in str(caught.value)
    assert caught.value.exit_code == ExitCode.USAGE


def test_a_payload_larger_than_the_limit_is_refused_before_parsing():
    body = b'{"images": ["' + b"a" * MAX_EVENT_BYTES + b'"]}'
    with pytest.raises(EventError, match="larger than"):
        read_event(body)


def test_an_unknown_source_name_lists_the_known_ones():
    with pytest.raises(EventError, match="known: " + ", ".join(READERS)):
        read_event({"image": "a:1"}, "quay")


def test_pushed_references_need_a_tag_and_keep_a_digest():
    image = parse_pushed(f"localhost:5000/app:2.0.0@{DIGEST}")
    assert (image.repository, image.tag, image.digest) == ("localhost:5000/app", "2.0.0", DIGEST)
    assert parse_pushed("nginx:1.27").repository == "docker.io/library/nginx"
    with pytest.raises(EventError.__mro__[1], match="names no tag"):
        parse_pushed(f"ghcr.io/acme/app@{DIGEST}")
