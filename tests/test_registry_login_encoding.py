"""Logins and tokens as they travel: the docker CLI's encodings, not the ones ``requests`` guesses.

docker (Go's ``SetBasicAuth``) sends the base64 of the UTF-8 bytes of ``user:password``, so a
password with ``€`` or ``é`` works there and must work here, both with a registry that asks for
Basic and with a token service. A token the token service hands back that cannot be written in
an HTTP header (a newline, a character outside Latin-1) is that service's error, said as such.
"""

from __future__ import annotations

import base64
import json
from urllib.parse import urlsplit

import pytest
from registry_helpers import ScriptedRegistry, docker_config, make_source

from automator.errors import AutomatorError

TAGS = (200, {"Content-Type": "application/json"}, b'{"name": "team/app", "tags": ["1.0.0", "2.0.0"]}')


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _list(registry: ScriptedRegistry, ctx=None):
    repo = f"{registry.host}/team/app"
    with make_source(ctx) as source:
        return source.list_tags([repo])[repo]


@pytest.mark.parametrize("password", ["pa€ss", "pässwörd"])
def test_a_registry_asking_for_basic_gets_the_utf8_login_docker_sends(tmp_path, password):
    """``€`` is outside Latin-1 and ``ä`` inside it: both go as UTF-8, as docker sends them."""
    expected = _basic("bob", password)

    def answer(handler):
        if handler.headers.get("Authorization") != expected:
            return 401, {"WWW-Authenticate": 'Basic realm="reg"'}, b"{}"
        return TAGS

    with ScriptedRegistry(answer) as registry:
        listed = _list(registry, docker_config(tmp_path, {registry.host: {"username": "bob", "password": password}}))
    assert not isinstance(listed, AutomatorError), str(listed)
    assert [t.tag for t in listed] == ["1.0.0", "2.0.0"]


def test_a_token_service_gets_the_utf8_login_docker_sends(tmp_path):
    expected = _basic("bob", "pa€ss")

    def answer(handler):
        if urlsplit(handler.path).path == "/token":
            if handler.headers.get("Authorization") != expected:
                return 401, {}, b'{"details": "bad credentials"}'
            return 200, {}, b'{"token": "tok-1234"}'
        if handler.headers.get("Authorization") != "Bearer tok-1234":
            realm = f"http://{handler.headers['Host']}/token"
            return 401, {"WWW-Authenticate": f'Bearer realm="{realm}",service="x"'}, b"{}"
        return TAGS

    with ScriptedRegistry(answer) as registry:
        listed = _list(registry, docker_config(tmp_path, {registry.host: {"username": "bob", "password": "pa€ss"}}))
    assert not isinstance(listed, AutomatorError), str(listed)
    assert [t.tag for t in listed] == ["1.0.0", "2.0.0"]


@pytest.mark.parametrize("token", ["tok€n", "tok\nen", "tok\ren"])
def test_a_token_that_cannot_be_sent_in_a_header_is_the_token_services_error(token):
    """Not a "malformed Location URL in a redirect": there was no redirect."""
    def answer(handler):
        if urlsplit(handler.path).path == "/token":
            return 200, {"Content-Type": "application/json"}, json.dumps({"token": token}).encode()
        if not handler.headers.get("Authorization"):
            realm = f"http://{handler.headers['Host']}/token"
            return 401, {"WWW-Authenticate": f'Bearer realm="{realm}",service="x"'}, b"{}"
        return TAGS

    with ScriptedRegistry(answer) as registry:
        failed = _list(registry)
    assert isinstance(failed, AutomatorError)
    assert "Location" not in str(failed) and "unexpected" not in str(failed)
    assert "token service" in str(failed) and "returned a token that cannot be sent" in str(failed)
    assert registry.host in str(failed)
