"""Credentials stay with the registry they are for, also when an answer is redirected elsewhere.

docs/registries.md: credentials are used only for the registry they belong to, or the token
service that registry names; a redirect to another host is followed without them. A 401 from
the host a redirect led to is that host's challenge, not the registry's.
"""

from __future__ import annotations

import pytest
from registry_helpers import docker_config, make_source
from registry_proxy import RegistryProxy

from automator.errors import AutomatorError

LOGIN = ("alice", "only-for-registry-a-9")


@pytest.fixture(scope="module")
def pushed(local_registry):
    local_registry.push("redirected/app", "1.0.0", created="2024-01-01T00:00:00Z")
    return local_registry


@pytest.mark.parametrize("scheme", ["Bearer", "Basic"])
def test_a_challenge_from_the_host_a_redirect_led_to_gets_no_credentials(pushed, tmp_path, scheme):
    """Registry A redirects the tag list to host B, whose 401 names its own token service C
    (or asks for Basic): neither B nor C may ever see A's login, and the error names B."""
    with RegistryProxy(pushed.url) as a, RegistryProxy(pushed.url) as b, RegistryProxy(pushed.url) as c:
        c.add_fault(r"^/token", status=200, body='{"token": "from-c"}', times=10)
        challenge = f'Bearer realm="{c.url}/token",service="evil"' if scheme == "Bearer" else 'Basic realm="b"'
        b.add_fault(r"/tags/list", status=401, headers={"WWW-Authenticate": challenge}, times=10)
        a.add_fault(r"/tags/list", status=307, times=10,
                    headers={"Location": f"{b.url}/v2/redirected/app/tags/list?n=1000"})
        ctx = docker_config(tmp_path, {a.host: {"username": LOGIN[0], "password": LOGIN[1]}})
        repo = f"{a.host}/redirected/app"
        with make_source(ctx) as source:
            failed = source.list_tags([repo])[repo]
        assert c.seen == []  # no token request at all, so no login sent with one
        assert all("Authorization" not in s.headers for s in a.seen + b.seen)
    assert isinstance(failed, AutomatorError)
    assert b.host in str(failed) and "redirected" in str(failed)
