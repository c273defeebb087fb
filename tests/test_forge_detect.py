"""The forge, its API base and the project slug come from the remote URL or the options."""

from __future__ import annotations

import pytest

from automator.errors import ConfigError
from automator.forge.detect import parse_remote, resolve_target


@pytest.mark.parametrize(
    ("url", "kind", "api", "slug"),
    [
        ("https://github.com/acme/env.git", "github", "https://api.github.com", "acme/env"),
        ("git@github.com:acme/env.git", "github", "https://api.github.com", "acme/env"),
        ("ssh://git@github.com/acme/env", "github", "https://api.github.com", "acme/env"),
        ("https://x-access-token:secret@github.com/acme/env", "github", "https://api.github.com", "acme/env"),
        ("https://gitlab.com/platform/team/env.git", "gitlab", "https://gitlab.com", "platform/team/env"),
        ("git@gitlab.com:platform/env.git", "gitlab", "https://gitlab.com", "platform/env"),
        ("ssh://git@gitlab.example.com:2222/platform/env.git", "gitlab", "https://gitlab.example.com", "platform/env"),
    ],
)
def test_detected_from_the_remote_url(url, kind, api, slug):
    target = resolve_target(url)
    assert (target.kind, target.api_url, target.slug) == (kind, api, slug)


def test_enterprise_and_self_hosted_need_the_forge_and_take_an_api_base():
    ghe = resolve_target("git@code.acme.example:platform/env.git", kind="github")
    gl = resolve_target("https://scm.acme.example/platform/env.git", kind="gitlab", api_url="https://scm.acme.example/")

    assert (ghe.kind, ghe.api_url) == ("github", "https://code.acme.example/api/v3")
    assert (gl.kind, gl.api_url, gl.slug) == ("gitlab", "https://scm.acme.example", "platform/env")


def test_unknown_host_asks_for_forge():
    with pytest.raises(ConfigError, match="pass --forge github or --forge gitlab"):
        resolve_target("https://scm.acme.example/platform/env.git")


@pytest.mark.parametrize("url", ["/srv/git/env.git", "https://github.com/onlyowner", "file:///srv/env.git"])
def test_urls_without_a_project_are_rejected_without_leaking_credentials(url):
    with pytest.raises(ConfigError, match="cannot read host and project"):
        parse_remote(url)


def test_credentials_in_a_bad_url_are_not_shown():
    with pytest.raises(ConfigError) as caught:
        parse_remote("https://user:hunter2hunter2@example.com/")
    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize("url", ["/srv/git/env.git", "../env.git", "https://github.com/onlyowner", "file:///srv/env.git"])
def test_forge_rejected_remote_url_says_what_to_do(url):
    with pytest.raises(ConfigError) as caught:
        parse_remote(url)
    assert "expected forms like https://github.com/OWNER/REPO.git" in str(caught.value)
