"""URLs a registry hands back (Link, Location, a token realm), read as the standards spell them.

RFC 8288: ``rel`` is a space-separated list of relation types; RFC 3986: ``http://h:80/`` is
the same origin as ``http://h/``. A URL that cannot be parsed at all is the registry's error,
reported as one naming the header, not an "unexpected error". A password echoed
percent-encoded (as in a query string) is as secret as the password itself.
"""

from __future__ import annotations

import base64
import logging
from urllib.parse import quote

import pytest
from registry_helpers import ScriptedRegistry, docker_config, make_source

from automator.errors import AutomatorError, scrub
from automator.registry.credentials import register_credentials
from automator.registry.formats import next_page, same_origin

PAGE = "http://r.example/v2/a/tags/list?n=2"


@pytest.mark.parametrize("link", [
    '</v2/a/tags/list?last=b>; rel="prev next"',
    '</v2/a/tags/list?last=a>; rel="first", </v2/a/tags/list?last=b>; title="x"; rel="prev  next"',
])
def test_next_is_found_in_a_rel_list_of_several_relation_types(link):
    """``rel="prev next"`` names the next page too: paging must not stop silently there."""
    assert next_page(PAGE, link) == "http://r.example/v2/a/tags/list?last=b"


def test_a_relation_type_that_merely_starts_with_next_is_not_next():
    """Relation types are compared whole: ``nextish`` is not ``next``."""
    assert next_page(PAGE, '</v2/a/x>; rel="nextish"') is None


def test_an_explicit_default_port_is_the_same_origin():
    """``http://127.0.0.1:80/`` and ``http://127.0.0.1/`` are one host; another port is not."""
    assert same_origin("http://127.0.0.1:80/v2/x", "http://127.0.0.1/v2/y")
    assert same_origin("https://R.example:443/v2/x", "https://r.example/v2/y")
    assert not same_origin("http://127.0.0.1:8080/v2/x", "http://127.0.0.1/v2/y")
    assert not same_origin("https://r.example:80/v2/x", "http://r.example:80/v2/y")


def test_a_password_echoed_percent_encoded_is_scrubbed():
    """A registry may echo a login in a URL (Link, an error): the -vv log shows it quoted."""
    password = "p4ss word/é!"
    register_credentials("alice", password, None)
    assert quote(password, safe="") not in scrub(f"GET /v2/x?echo={quote(password, safe='')}")


# --- unparseable URLs from a registry --------------------------------------------------------


TAGS = (200, {"Content-Type": "application/json"}, b'{"name": "team/app", "tags": ["1.0.0"]}')
BAD = "http://[oops/v2/team/app/tags/list"
ANSWERS = {
    "Link": lambda h: (TAGS[0], {**TAGS[1], "Link": f'<{BAD}?last=1>; rel="next"'}, TAGS[2]),
    "Location": lambda h: (307, {"Location": BAD}, b""),
    "realm": lambda h: TAGS if "Authorization" in h.headers else (
        401, {"WWW-Authenticate": 'Bearer realm="http://[oops/token",service="x"'}, b"{}"),
}


@pytest.mark.parametrize("where", ANSWERS)
def test_an_unparseable_url_from_the_registry_is_a_registry_error_naming_it(where, caplog):
    """``http://[oops/`` in a Link, a Location or a token realm: the repository fails saying
    which URL was malformed, not with an "unexpected error (ValueError)"."""
    registry = ScriptedRegistry(ANSWERS[where])
    try:
        repo = f"{registry.host}/team/app"
        with caplog.at_level(logging.DEBUG), make_source() as source:
            failed = source.list_tags([repo])[repo]
    finally:
        registry.stop()
    assert isinstance(failed, AutomatorError)
    assert "unexpected" not in str(failed)
    assert f"malformed {where} URL" in str(failed) and registry.host in str(failed)


def test_an_unparseable_realm_url_never_gets_the_login(tmp_path):
    """The credentials go to no token service at all when its URL cannot be read."""
    registry = ScriptedRegistry(ANSWERS["realm"])
    try:
        ctx = docker_config(tmp_path, {registry.host: {"username": "alice", "password": "realm-secret-1"}})
        repo = f"{registry.host}/team/app"
        with make_source(ctx) as source:
            failed = source.list_tags([repo])[repo]
    finally:
        registry.stop()
    assert isinstance(failed, AutomatorError) and "malformed realm URL" in str(failed)
    assert base64.b64encode(b"alice:realm-secret-1").decode() not in str(failed)
