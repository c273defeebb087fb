"""Answers of an unexpected shape are the registry's fault, reported per repository.

A registry (or a proxy in front of it) may answer an image index or config whose fields have
the wrong type. A malformed index entry is skipped like one for another platform; anything
that still cannot be read is a :class:`RegistryError` naming the repository, never a crash
(exit 70) or an "unexpected error".
"""

from __future__ import annotations

import hashlib
import json

import pytest
from registry_helpers import make_source
from registry_proxy import RegistryProxy

from automator.errors import AutomatorError, RegistryError
from automator.registry.formats import OCI_INDEX, created_from_config, pick_platform

GOOD = "sha256:" + "a" * 64
AMD64 = {"os": "linux", "architecture": "amd64"}


def test_an_index_entry_whose_platform_is_a_string_is_skipped():
    """``"platform": "linux/amd64"`` is not a platform object: not a candidate, not a crash."""
    index = {"manifests": [{"digest": "sha256:bad", "platform": "linux/amd64"},
                           {"digest": GOOD, "platform": AMD64}]}
    assert pick_platform(index, "linux/amd64") == {"digest": GOOD, "platform": AMD64}


def test_a_config_whose_config_field_is_not_an_object_has_no_label_time():
    """The label fallback reads ``config.Labels`` only when ``config`` is an object."""
    assert created_from_config({"config": "oops"}) is None


@pytest.fixture
def proxy(local_registry):
    local_registry.push("malformed/app", "1.0.0", created="2024-01-01T00:00:00Z")
    with RegistryProxy(local_registry.url) as proxy:
        yield proxy


def _serve_index(proxy: RegistryProxy, index: dict) -> None:
    proxy.add_fault(r"/manifests/1\.0\.0$", method="GET", status=200, body=json.dumps(index),
                    headers={"Content-Type": OCI_INDEX})


def test_platform_digest_skips_a_malformed_entry_and_takes_the_good_one(proxy):
    """The rules' platform path (``platform:`` in a rule) reads the index through here."""
    _serve_index(proxy, {"mediaType": OCI_INDEX, "manifests": [
        {"digest": "sha256:" + "b" * 64, "platform": "linux/amd64"}, {"digest": GOOD, "platform": AMD64}]})
    with make_source() as source:
        assert source.platform_digest(f"{proxy.host}/malformed/app", "1.0.0", "linux/amd64") == GOOD


def test_platform_digest_of_an_unreadable_index_is_a_registry_error_naming_the_repository(proxy):
    """``"manifests": 5`` cannot be read at all: the error says which repository answered it."""
    _serve_index(proxy, {"mediaType": OCI_INDEX, "manifests": 5})
    repo = f"{proxy.host}/malformed/app"
    with make_source() as source, pytest.raises(RegistryError) as raised:
        source.platform_digest(repo, "1.0.0", "linux/amd64")
    assert f"{repo}:1.0.0" in str(raised.value) and "manifests" in str(raised.value)


def test_metadata_of_an_unreadable_index_is_an_error_naming_the_repository_not_an_unexpected_one(proxy):
    """The build-time path reads the same index: a malformed one is reported as such."""
    body = json.dumps({"mediaType": OCI_INDEX, "manifests": 5}).encode()
    digest = "sha256:" + hashlib.sha256(body).hexdigest()
    proxy.add_fault(r"/manifests/1\.0\.0$", method="HEAD", status=200,
                    headers={"Docker-Content-Digest": digest, "Content-Type": OCI_INDEX})
    proxy.add_fault(f"/manifests/{digest}$", method="GET", status=200, body=body, headers={"Content-Type": OCI_INDEX})
    repo = f"{proxy.host}/malformed/app"
    with make_source() as source:
        failed = source.metadata(repo, ["1.0.0"])["1.0.0"]
    assert isinstance(failed, AutomatorError)
    assert "unexpected error" not in str(failed)
    assert f"{proxy.host}/malformed/app@{digest[:19]}" in str(failed) and "manifests" in str(failed)
