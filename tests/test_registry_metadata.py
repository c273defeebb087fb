"""Digests and build times, only on demand, from the real registry (single images and indexes)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
import requests
from registry_helpers import make_source
from registry_proxy import RegistryProxy

from automator.errors import AutomatorError
from automator.registry.formats import MANIFEST_TYPES

WHEN = {"linux/amd64": "2024-04-01T08:00:00Z", "linux/arm64/v8": "2024-04-02T09:00:00Z"}


@pytest.fixture(scope="module")
def pushed(local_registry):
    digests = {
        "config": local_registry.push("meta/app", "config-time", created="2024-05-06T07:08:09.123456789Z"),
        "label": local_registry.push("meta/app", "label-time", labels={
            "org.opencontainers.image.created": "2023-11-12T13:14:15Z"}),
        "none": local_registry.push("meta/app", "no-time"),
        "multi": local_registry.push("meta/app", "multi", created=WHEN, platforms=list(WHEN)),
        "armonly": local_registry.push("meta/app", "arm-only", created=WHEN, platforms=["linux/arm64/v8"]),
    }
    return local_registry, digests


@pytest.fixture
def proxy(pushed):
    with RegistryProxy(pushed[0].url) as proxy:
        yield proxy


def _meta(proxy, tags, **options):
    with make_source(**options) as source:
        return source.metadata(f"{proxy.host}/meta/app", tags)


@pytest.mark.parametrize(
    ("tag", "created"),
    [
        ("config-time", datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=timezone.utc)),
        ("label-time", datetime(2023, 11, 12, 13, 14, 15, tzinfo=timezone.utc)),
        ("no-time", None),
    ],
)
def test_build_time_comes_from_the_config_blob(proxy, pushed, tag, created):
    info = _meta(proxy, [tag])[tag]
    assert info.created == created
    assert info.digest == pushed[1][{"config-time": "config", "label-time": "label", "no-time": "none"}[tag]]


@pytest.mark.parametrize(
    ("platform", "created"),
    [("linux/amd64", datetime(2024, 4, 1, 8, tzinfo=timezone.utc)),
     ("linux/arm64", datetime(2024, 4, 2, 9, tzinfo=timezone.utc))],
)
def test_an_index_is_read_through_the_child_for_the_platform(proxy, pushed, platform, created):
    info = _meta(proxy, ["multi"], platform=platform)["multi"]
    assert info.created == created
    assert info.digest == pushed[1]["multi"]  # the tag's digest (the index), what a pin refers to


def test_an_index_without_the_platform_is_an_error_for_that_tag(proxy):
    result = _meta(proxy, ["arm-only", "config-time"])
    assert isinstance(result["arm-only"], AutomatorError)
    assert "no linux/amd64 image in the index" in str(result["arm-only"])
    assert result["config-time"].created.year == 2024


def test_digests_are_read_by_head_accepting_all_manifest_types(proxy):
    _meta(proxy, ["config-time"])
    heads = [s for s in proxy.seen if s.method == "HEAD"]
    assert len(heads) == 1
    accepted = {t.strip() for t in heads[0].headers["Accept"].split(",")}
    assert accepted == set(MANIFEST_TYPES)


def test_listing_tags_reads_no_manifests(proxy):
    with make_source() as source:
        source.list_tags([f"{proxy.host}/meta/app"])
    assert proxy.count(r"/manifests/") == 0 and proxy.count(r"/blobs/") == 0


def test_a_missing_tag_is_an_error_for_that_tag_only(proxy):
    result = _meta(proxy, ["gone", "no-time"])
    assert "meta/app" in str(result["gone"]) and "HTTP 404" in str(result["gone"])
    assert result["no-time"].digest.startswith("sha256:")


def test_a_manifest_that_does_not_match_its_digest_is_refused(proxy, pushed):
    proxy.add_fault(r"/manifests/sha256:", status=200, method="GET", body='{"schemaVersion": 2, "config": {}}',
                    headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
    result = _meta(proxy, ["config-time"])
    assert "does not match its digest" in str(result["config-time"])



def _retag(base_url: str, repository: str, tag: str, new_tag: str) -> None:
    accept = {"Accept": "application/vnd.docker.distribution.manifest.v2+json"}
    manifest = requests.get(f"{base_url}/v2/{repository}/manifests/{tag}", headers=accept, timeout=10)
    requests.put(f"{base_url}/v2/{repository}/manifests/{new_tag}", data=manifest.content, timeout=10,
                 headers={"Content-Type": manifest.headers["Content-Type"]}).raise_for_status()


def test_tags_sharing_a_digest_read_the_config_once(proxy, pushed):
    registry, digests = pushed
    _retag(registry.url, "meta/app", "config-time", "config-alias")
    result = _meta(proxy, ["config-time", "config-alias"])
    assert result["config-alias"].digest == result["config-time"].digest == digests["config"]
    assert result["config-alias"].created == result["config-time"].created
    assert proxy.count(r"/manifests/sha256:") == 1 and proxy.count(r"/blobs/") == 1


def test_a_tag_read_once_in_a_run_is_not_asked_for_again(proxy):
    repo = f"{proxy.host}/meta/app"
    with make_source() as source:  # no disk cache: the run itself must remember
        first = source.metadata(repo, ["config-time", "gone"])
        again = source.metadata(repo, ["gone", "config-time"])  # e.g. a rule pinning the chosen tag
    assert again["config-time"] == first["config-time"] and again["gone"] is first["gone"]
    assert proxy.count(r"/manifests/config-time", method="HEAD") == 1
    assert proxy.count(r"/manifests/gone", method="HEAD") == 1
