"""One token request per registry and run, against the real registry's token auth.

The first token request asks for the scopes of every repository the run reads (``scope``
repeated, as the token protocol allows). A token service that grants less than asked, without
an error, makes the registry answer ``error="insufficient_scope"``; that registry then falls
back to one token per repository, and every repository is still listed.
"""

from __future__ import annotations

import pytest
from local_registry import start_registry
from registry_helpers import docker_config, make_source

from automator.errors import AutomatorError, registered_secrets

USER = ("tina", "tokens-only-7")
NAMES = [f"batch/app-{i}" for i in range(6)]


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    registry = start_registry(tmp_path_factory.mktemp("tokens"), token=dict([USER]))
    for name in NAMES:
        registry.push(name, "1.0.0", created="2024-01-01T00:00:00Z")
    yield registry
    registry.stop()


@pytest.fixture
def server(registry):
    server = registry.token_server
    server.requests.clear()
    server.grant_limit = None
    yield server
    server.grant_limit = None


def _list_all(registry, ctx=None):
    repos = [f"{registry.host}/{name}" for name in NAMES]
    with make_source(ctx) as source:
        result = source.list_tags(repos)
        metadata = source.metadata(repos[0], ["1.0.0"])["1.0.0"]
    for repo in repos:
        assert not isinstance(result[repo], AutomatorError), str(result[repo])
        assert [t.tag for t in result[repo]] == ["1.0.0"]
    assert not isinstance(metadata, AutomatorError), str(metadata)


def test_one_token_request_asks_for_every_repository_of_the_run(registry, server):
    _list_all(registry)
    (asked,) = server.requests  # also reused for the metadata of the first repository
    assert sorted(asked["scopes"]) == sorted(f"repository:{name}:pull" for name in NAMES)


def test_with_credentials_the_one_request_carries_the_login(registry, server, tmp_path):
    ctx = docker_config(tmp_path, {registry.host: {"username": USER[0], "password": USER[1]}})
    _list_all(registry, ctx)
    assert [(r["user"], len(r["scopes"])) for r in server.requests] == [(USER[0], len(NAMES))]
    assert USER[1] in registered_secrets()


def test_a_service_granting_less_than_asked_falls_back_to_one_token_per_repository(registry, server):
    server.grant_limit = 1  # grants the first scope only, and says nothing
    _list_all(registry)
    first, *others = server.requests
    assert len(first["scopes"]) == len(NAMES)
    assert all(len(r["scopes"]) == 1 for r in others)
    assert len(others) <= len(NAMES)  # one per repository at most, after the refused batch
