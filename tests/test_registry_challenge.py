"""WWW-Authenticate parsing: quoted commas, several challenges per header, odd spacing."""

import pytest

from automator.registry.challenge import parse_www_authenticate


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
            'scope="repository:library/nginx:pull"',
            [("bearer", {"realm": "https://auth.docker.io/token", "service": "registry.docker.io",
                         "scope": "repository:library/nginx:pull"})],
        ),
        (  # a comma inside a quoted value does not split the challenge
            'Bearer realm="https://r.example/token",scope="repository:a/b:pull,push"',
            [("bearer", {"realm": "https://r.example/token", "scope": "repository:a/b:pull,push"})],
        ),
        (  # two challenges in one header, scheme names in any case
            'basic realm="Registry Realm", BEARER realm="https://t.example/token", service="svc"',
            [("basic", {"realm": "Registry Realm"}), ("bearer", {"realm": "https://t.example/token", "service": "svc"})],
        ),
        (  # escaped quote, unquoted token value, error parameter
            'Bearer realm="a\\"b",error=invalid_token,  error_description="expired, renew"',
            [("bearer", {"realm": 'a"b', "error": "invalid_token", "error_description": "expired, renew"})],
        ),
        ('Basic', [("basic", {})]),
        ("", []),
        ('Bearer  realm = "https://x/token" ,, service="s"', [("bearer", {"realm": "https://x/token", "service": "s"})]),
    ],
)
def test_challenges_are_parsed(header, expected):
    parsed = [(c.scheme, c.params) for c in parse_www_authenticate(header)]
    assert parsed == expected


def test_token68_challenge_is_kept_apart_from_parameters():
    challenges = parse_www_authenticate('Negotiate abc123==, Bearer realm="https://t/token"')
    assert [(c.scheme, c.token68) for c in challenges] == [("negotiate", "abc123=="), ("bearer", None)]
    assert challenges[1].get("realm") == "https://t/token"


def test_unterminated_quote_takes_the_rest_instead_of_failing():
    challenges = parse_www_authenticate('Bearer realm="https://t/token')
    assert challenges[0].get("realm") == "https://t/token"
