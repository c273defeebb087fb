"""Tag lists over several pages, as registries really page them.

A ``Link`` may spell the default port (``http://registry.test:80/...``): that is the same
registry, so the next page carries the same token. A registry whose ``Link`` cursors change on
every page while no page adds a tag would be followed for ever: the listing stops, naming the
registry. Tags that are not valid OCI tags (``9.0.0+evil``) can never be written into an image
reference, so they are never candidates.
"""

from __future__ import annotations

import json
import logging
from urllib.parse import parse_qs, urlsplit

import pytest
from registry_helpers import ScriptedRegistry, make_source

from automator.context import Context
from automator.errors import AutomatorError


def _page(tags: list[str], link: str | None = None) -> tuple[int, dict, bytes]:
    headers = {"Content-Type": "application/json", **({"Link": link} if link else {})}
    return 200, headers, json.dumps({"name": "team/app", "tags": tags}).encode()


# --- a Link spelling the default port ----------------------------------------------------------

REGISTRY = "registry.test"  # reached through the proxy below: no DNS, no port 80 to bind
LINK = f'<http://{REGISTRY}:80/v2/team/app/tags/list?n=2&last=1.1.0>; rel="next"'
CHALLENGE = f'Bearer realm="http://{REGISTRY}/token",service="test"'


def _list_through(proxy: ScriptedRegistry):
    ctx = Context({"HOME": "/nonexistent", "HTTP_PROXY": f"http://{proxy.host}"})
    repo = f"{REGISTRY}/team/app"
    with make_source(ctx, insecure_registries=[REGISTRY]) as source:
        return source.list_tags([repo])[repo]


def test_a_link_spelling_the_default_port_gets_the_same_token():
    def answer(handler):
        url = urlsplit(handler.path)
        if url.path == "/token":
            return 200, {}, b'{"token": "tok-abcdef"}'
        if handler.headers.get("Authorization") != "Bearer tok-abcdef":
            return 401, {"WWW-Authenticate": CHALLENGE}, b"{}"
        if "last" in parse_qs(url.query):
            return _page(["2.0.0"])
        return _page(["1.0.0", "1.1.0"], LINK)

    with ScriptedRegistry(answer) as proxy:
        listed = _list_through(proxy)
    assert not isinstance(listed, AutomatorError), str(listed)
    assert [t.tag for t in listed] == ["1.0.0", "1.1.0", "2.0.0"]


def test_a_token_expiring_on_a_page_at_the_default_port_is_renewed_there():
    """The 401 of page 2 (``:80`` spelled out) is the registry's own challenge, not a foreign
    host's: the token is renewed, no "redirected ... asks for a login" refusal."""
    tokens = iter(["tok-first", "tok-second"])

    def answer(handler):
        url = urlsplit(handler.path)
        sent = handler.headers.get("Authorization")
        if url.path == "/token":
            return 200, {}, json.dumps({"token": next(tokens)}).encode()
        if sent is None:
            return 401, {"WWW-Authenticate": CHALLENGE}, b"{}"
        if "last" not in parse_qs(url.query):
            return _page(["1.0.0", "1.1.0"], LINK)
        if sent != "Bearer tok-second":
            return 401, {"WWW-Authenticate": CHALLENGE + ',error="invalid_token"'}, b"{}"
        return _page(["2.0.0"])

    with ScriptedRegistry(answer) as proxy:
        listed = _list_through(proxy)
    assert not isinstance(listed, AutomatorError), str(listed)
    assert [t.tag for t in listed] == ["1.0.0", "1.1.0", "2.0.0"]


# --- pages that never end ----------------------------------------------------------------------


def test_pages_that_keep_linking_on_without_new_tags_stop_naming_the_registry():
    def answer(handler):
        cursor = len(registry.seen)  # a new cursor on every page, the same two tags
        return _page(["1.0.0", "1.2.0"], f'</v2/team/app/tags/list?n=1000&cursor={cursor}>; rel="next"')

    with ScriptedRegistry(answer) as registry:
        repo = f"{registry.host}/team/app"
        with make_source() as source:
            failed = source.list_tags([repo])[repo]
        pages = len(registry.seen)
    assert isinstance(failed, AutomatorError)
    assert registry.host in str(failed) and "no new tag" in str(failed)
    assert pages <= 5


def test_paging_through_new_tags_and_a_few_empty_pages_still_lists_everything():
    """Every page adds tags, or a page in between is empty: nothing is cut short."""
    pages = [["a-1", "a-2"], [], ["a-3"], ["a-4", "a-5"], []]

    def answer(handler):
        index = int(parse_qs(urlsplit(handler.path).query).get("page", ["0"])[0])
        following = f'</v2/team/app/tags/list?page={index + 1}>; rel="next"' if index + 1 < len(pages) else None
        return _page(pages[index], following)

    with ScriptedRegistry(answer) as registry:
        repo = f"{registry.host}/team/app"
        with make_source() as source:
            listed = source.list_tags([repo])[repo]
    assert not isinstance(listed, AutomatorError), str(listed)
    assert [t.tag for t in listed] == ["a-1", "a-2", "a-3", "a-4", "a-5"]


# --- tags that are not OCI tags ----------------------------------------------------------------


@pytest.mark.parametrize("odd", ["9.0.0+evil", "-1.0", "1.0 beta", "x" * 129, "é1.0"])
def test_a_listed_tag_that_is_not_a_valid_oci_tag_is_left_out(odd, caplog):
    with ScriptedRegistry(lambda handler: _page(["1.0.0", odd, "2.0.0"])) as registry:
        repo = f"{registry.host}/team/app"
        with caplog.at_level(logging.DEBUG, logger="automator.registry"), make_source() as source:
            listed = source.list_tags([repo])[repo]
    assert not isinstance(listed, AutomatorError), str(listed)
    assert [t.tag for t in listed] == ["1.0.0", "2.0.0"]
    assert any("not valid OCI tags" in record.getMessage() for record in caplog.records)
