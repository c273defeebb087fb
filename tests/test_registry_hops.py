"""Whose failure it is: a redirect target that does not answer, a token service that is busy.

A blob or tag list redirected to a host that gives no answer (a CDN on a closed port) is that
host's failure: the message names it, and only that host is not asked again in the run; the
registry itself, and its other repositories, still are. A token service answering 429 with a
``Retry-After`` says how long it asks to wait, as a registry's own 429 does.
"""

from __future__ import annotations

import json
import socket
from urllib.parse import urlsplit

from registry_helpers import ScriptedRegistry, make_source

from automator.errors import AutomatorError

TAGS = (200, {"Content-Type": "application/json"}, json.dumps({"name": "team/b", "tags": ["1.0.0"]}).encode())


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_redirect_to_a_host_that_does_not_answer_blames_that_host_alone():
    cdn = f"127.0.0.1:{_closed_port()}"

    def answer(handler):
        if "team/a" in handler.path:
            return 307, {"Location": f"http://{cdn}/cdn{urlsplit(handler.path).path}"}, b""
        return TAGS

    with ScriptedRegistry(answer) as registry, make_source() as source:
        repo_a, repo_b = f"{registry.host}/team/a", f"{registry.host}/team/b"
        failed = source.list_tags([repo_a])[repo_a]
        listed = source.list_tags([repo_b])[repo_b]
    assert isinstance(failed, AutomatorError)
    assert cdn in str(failed)  # the host that did not answer, not the registry
    assert not isinstance(listed, AutomatorError), str(listed)  # the registry is still asked
    assert [t.tag for t in listed] == ["1.0.0"]


def test_a_rate_limited_token_service_says_how_long_it_asks_to_wait():
    def answer(handler):
        if urlsplit(handler.path).path == "/token":
            return 429, {"Retry-After": "120"}, b"{}"
        realm = f"http://{handler.headers['Host']}/token"
        return 401, {"WWW-Authenticate": f'Bearer realm="{realm}",service="x"'}, b"{}"

    with ScriptedRegistry(answer) as registry, make_source() as source:
        repo = f"{registry.host}/team/b"
        failed = source.list_tags([repo])[repo]
    assert isinstance(failed, AutomatorError)
    assert "rate limited" in str(failed) and "asks to wait 120 s" in str(failed)
    assert registry.host in str(failed)
