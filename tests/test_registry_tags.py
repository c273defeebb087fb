"""Tag listing: paging by Link headers, odd bodies, once per repository, errors per repository."""

from __future__ import annotations

import pytest
from registry_helpers import make_source
from registry_proxy import RegistryProxy

from automator.errors import AutomatorError

TAGS = ["1.0.0", "1.1.0", "1.2.0", "2.0.0", "2.1.0"]


@pytest.fixture(scope="module")
def pushed(local_registry):
    for tag in TAGS:
        local_registry.push("tags/paged", tag, created="2024-01-01T00:00:00Z")
    local_registry.push("tags/other", "0.1.0", created="2024-01-01T00:00:00Z")
    return local_registry


@pytest.fixture
def proxy(pushed):
    with RegistryProxy(pushed.url) as proxy:
        yield proxy


def _list(proxy, name, **options):
    repo = f"{proxy.host}/{name}"
    with make_source(**options) as source:
        return source.list_tags([repo])[repo]


@pytest.mark.parametrize("absolute", [False, True])
def test_pages_are_followed_by_link_header(pushed, absolute):
    with RegistryProxy(pushed.url, page_size=2, absolute_links=absolute) as proxy:
        result = _list(proxy, "tags/paged")
        assert [t.tag for t in result] == TAGS
        assert proxy.count(r"/tags/list") == 3
        assert "n=1000" in proxy.seen[0].path


def test_a_link_to_another_host_is_refused(proxy):
    proxy.link_override[r"/tags/list"] = '<https://elsewhere.example/v2/tags/paged/tags/list?last=x>; rel="next"'
    error = _list(proxy, "tags/paged")
    assert isinstance(error, AutomatorError) and "another host" in str(error)


def test_a_link_loop_is_detected(proxy):
    proxy.link_override[r"/tags/list"] = '</v2/tags/paged/tags/list?n=1000>; rel="next"'
    error = _list(proxy, "tags/paged")
    assert isinstance(error, AutomatorError) and "link back" in str(error)


def test_more_tags_than_max_tags_is_an_error_naming_the_option(pushed):
    with RegistryProxy(pushed.url, page_size=2) as proxy:
        error = _list(proxy, "tags/paged", max_tags=3)
        assert isinstance(error, AutomatorError)
        assert "more than 3 tags (the --max-tags limit)" in str(error)
        assert "no tag is chosen from a partial list" in str(error)
        assert proxy.count(r"/tags/list") == 2  # stopped at the page that crossed the limit


def test_exactly_max_tags_is_still_listed(pushed):
    with RegistryProxy(pushed.url, page_size=2) as proxy:
        assert [t.tag for t in _list(proxy, "tags/paged", max_tags=len(TAGS))] == TAGS


@pytest.mark.slow
def test_150000_tags_in_1000_tag_pages_are_all_listed_without_a_page_cap(pushed):
    many = [f"build-{i:06d}" for i in range(150_000)]
    with RegistryProxy(pushed.url, page_size=1000) as proxy:
        proxy.extra_tags["tags/paged"] = many
        listed = _list(proxy, "tags/paged", max_tags=200_000)
        assert not isinstance(listed, AutomatorError), str(listed)
        assert len(listed) == 150_000 + len(TAGS)
        assert proxy.count(r"/tags/list") == 151
        refused = _list(proxy, "tags/paged")  # the default --max-tags is 100,000
        assert isinstance(refused, AutomatorError) and "more than 100000 tags" in str(refused)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('{"name": "tags/paged", "tags": null}', []),
        ('{"name": "tags/paged", "tags": ["b", "a", "b"]}', ["a", "b"]),  # order and duplicates not trusted
    ],
)
def test_tag_bodies(proxy, body, expected):
    proxy.add_fault(r"/tags/list", status=200, body=body, headers={"Content-Type": "application/json"})
    assert [t.tag for t in _list(proxy, "tags/paged")] == expected


@pytest.mark.parametrize("body", ["<html>oops</html>", '{"tags": "latest"}', ""])
def test_malformed_bodies_become_an_error_for_that_repository(proxy, body):
    proxy.add_fault(r"/tags/paged/tags/list", status=200, body=body)
    repos = [f"{proxy.host}/tags/paged", f"{proxy.host}/tags/other"]
    with make_source() as source:
        result = source.list_tags(repos)
    assert "malformed answer while listing tags" in str(result[repos[0]])
    assert f"{proxy.host}/tags/paged" in str(result[repos[0]])
    assert [t.tag for t in result[repos[1]]] == ["0.1.0"]


def test_each_repository_is_listed_once_per_run(proxy):
    paged, other = f"{proxy.host}/tags/paged", f"{proxy.host}/tags/other"
    with make_source() as source:
        first = source.list_tags([paged, other, paged])
        again = source.list_tags([paged])
    assert list(first) == [paged, other]
    assert again[paged] == first[paged]
    assert proxy.count(r"/tags/paged/tags/list") == 1 and proxy.count(r"/tags/other/tags/list") == 1


def test_a_missing_repository_names_registry_and_repository(proxy):
    error = _list(proxy, "tags/absent")
    message = str(error)
    assert isinstance(error, AutomatorError)
    assert f"{proxy.host}/tags/absent" in message and "HTTP 404" in message
    assert "no credentials were found" in message


def test_an_invalid_repository_name_is_an_error_not_a_crash(proxy):
    with make_source() as source:
        result = source.list_tags([f"{proxy.host}/Bad Name", f"{proxy.host}/tags/other"])
    assert isinstance(result[f"{proxy.host}/Bad Name"], AutomatorError)
    assert [t.tag for t in result[f"{proxy.host}/tags/other"]] == ["0.1.0"]
