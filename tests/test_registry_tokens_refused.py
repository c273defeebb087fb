"""A token service that refuses a batch is asked again one repository at a time.

The run's first token request names every repository of the registry. Some token services
refuse the whole request (HTTP 401/403) when the login may not pull one of them, rather than
granting less. One repository the login may not read must not fail the others: the registry
falls back to one token per repository, as after ``insufficient_scope``, and only the refused
repository fails, saying its token was refused.
"""

from __future__ import annotations

import pytest
from local_registry import start_registry
from registry_helpers import make_source
from registry_proxy import RegistryProxy

from automator.errors import AutomatorError

ALLOWED = ["refusing/app-1", "refusing/app-2"]
FORBIDDEN = "refusing/secret"


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    registry = start_registry(tmp_path_factory.mktemp("refusing"), token={"tina": "tokens-only-8"})
    for name in ALLOWED:
        registry.push(name, "1.0.0", created="2024-01-01T00:00:00Z")
    yield registry
    registry.stop()


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_batch_is_asked_again_per_repository_and_only_the_forbidden_one_fails(registry, status):
    server = registry.token_server
    with RegistryProxy(server.url) as realm, RegistryProxy(registry.url) as front:
        realm.add_fault(r"^/.*scope=repository%3Arefusing%2Fsecret", status=status, times=100,
                        body='{"errors": [{"code": "DENIED"}]}', headers={"Content-Type": "application/json"})
        front.replace_in_headers.append((server.url, realm.url))  # the registry's realm: via the refusing proxy
        repos = [f"{front.host}/{name}" for name in [*ALLOWED, FORBIDDEN]]
        with make_source() as source:
            result = source.list_tags(repos)
        asked = [s.path for s in realm.seen]
    for repo in repos[:-1]:
        assert not isinstance(result[repo], AutomatorError), str(result[repo])
        assert [t.tag for t in result[repo]] == ["1.0.0"]
    refused = result[repos[-1]]
    assert isinstance(refused, AutomatorError) and f"refused a token for repository:{FORBIDDEN}:pull" in str(refused)
    assert asked[0].count("scope=") == 3  # the batch first, then one scope per request
    assert all(path.count("scope=") == 1 for path in asked[1:])
