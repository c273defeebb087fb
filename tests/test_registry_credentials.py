"""Credentials found like the docker CLI finds them, and the CI conventions."""

import base64
import json
import os
import stat

import pytest

from automator.context import Context
from automator.errors import registered_secrets
from automator.registry.credentials import CredentialStore, normalise_authconfig


def _config(tmp_path, data) -> Context:
    (tmp_path / "config.json").write_text(json.dumps(data))
    return Context({"DOCKER_CONFIG": str(tmp_path), "HOME": str(tmp_path / "home")})


def _auth(user, password):
    return base64.b64encode(f"{user}:{password}".encode()).decode()


def test_auths_entries_match_by_host_whatever_the_spelling(tmp_path):
    ctx = _config(tmp_path, {"auths": {
        "https://registry.example:5000/v2/": {"auth": _auth("alice", "pw-registry")},
        "https://index.docker.io/v1/": {"auth": _auth("bob", "pw-hub")},
    }})
    store = CredentialStore(ctx)
    found = store.lookup("registry.example:5000")
    assert (found.username, found.password) == ("alice", "pw-registry")
    assert store.lookup("docker.io").username == "bob"
    assert store.lookup("other.example") is None
    assert {"pw-registry", "pw-hub"} <= registered_secrets()


def test_the_docker_config_is_found_under_home_without_docker_config(tmp_path):
    (tmp_path / ".docker").mkdir()
    (tmp_path / ".docker" / "config.json").write_text(json.dumps({"auths": {"r.example": {"auth": _auth("u", "home-pw")}}}))
    store = CredentialStore(Context({"HOME": str(tmp_path)}))
    assert store.lookup("r.example").password == "home-pw"


@pytest.fixture
def credential_helper(tmp_path, monkeypatch):
    """A docker-credential-test helper on PATH answering for two servers."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    helper = bin_dir / "docker-credential-test"
    helper.write_text(
        "#!/usr/bin/env python3\n"
        "import json, sys\n"
        "server = sys.stdin.read().strip()\n"
        "known = {'helped.example': ('carol', 'pw-helper'), 'idtoken.example': ('<token>', 'refresh-abc')}\n"
        "if sys.argv[1] != 'get' or server not in known:\n"
        "    print('credentials not found in native keychain'); sys.exit(1)\n"
        "user, secret = known[server]\n"
        "print(json.dumps({'ServerURL': server, 'Username': user, 'Secret': secret}))\n"
    )
    helper.chmod(helper.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return helper


def test_cred_helpers_are_asked_and_their_answers_normalised(tmp_path, credential_helper):
    ctx = _config(tmp_path, {"credHelpers": {"helped.example": "test", "idtoken.example": "test"},
                             "auths": {"plain.example": {"auth": _auth("dave", "pw-plain")}}})
    store = CredentialStore(ctx)
    helped = store.lookup("helped.example")
    assert (helped.username, helped.password, helped.identity_token) == ("carol", "pw-helper", None)
    token = store.lookup("idtoken.example")
    assert token.identity_token == "refresh-abc" and token.password is None
    assert store.lookup("plain.example").username == "dave"
    assert "pw-helper" in registered_secrets()


def test_a_creds_store_without_an_entry_falls_back_to_auths(tmp_path, credential_helper):
    ctx = _config(tmp_path, {"credsStore": "test", "auths": {"plain.example": {"auth": _auth("erin", "pw-e")}}})
    store = CredentialStore(ctx)
    assert store.lookup("helped.example").username == "carol"
    assert store.lookup("plain.example").username == "erin"


def test_a_missing_helper_means_no_credentials_not_a_crash(tmp_path):
    store = CredentialStore(_config(tmp_path, {"credHelpers": {"x.example": "does-not-exist"}}))
    assert store.lookup("x.example") is None


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({"username": "frank", "password": "pw-plain-fields"}, ("frank", "pw-plain-fields")),  # docker CLI reads these
        ({"auth": "", "username": "frank", "password": "pw-plain-fields"}, ("frank", "pw-plain-fields")),
        ({"auth": ""}, None),
        ({"auth": "bm8tY29sb24="}, None),  # base64 of "no-colon": unusable, but only for this host
    ],
)
def test_one_odd_auths_entry_neither_hides_its_plain_fields_nor_breaks_the_others(tmp_path, entry, expected):
    ctx = _config(tmp_path, {"auths": {"odd.example": entry, "good.example": {"auth": _auth("gina", "pw-good")}}})
    store = CredentialStore(ctx)
    found = store.lookup("odd.example")
    assert ((found.username, found.password) if found else None) == expected
    assert store.lookup("good.example").username == "gina"
    assert store.config_error is None


def test_a_broken_config_is_reported_once_and_credentials_are_skipped(tmp_path):
    (tmp_path / "config.json").write_text("{not json")
    store = CredentialStore(Context({"DOCKER_CONFIG": str(tmp_path)}))
    assert store.lookup("r.example") is None
    assert "is not valid" in str(store.config_error) and str(tmp_path) in str(store.config_error)


@pytest.mark.parametrize(
    ("environ", "host", "expected"),
    [
        ({"GITHUB_TOKEN": "ghs_tokenvalue1", "GITHUB_ACTOR": "octo"}, "ghcr.io", ("octo", "ghs_tokenvalue1")),
        ({"GITHUB_TOKEN": "ghs_tokenvalue1"}, "docker.io", None),  # only for ghcr.io
        ({"CI_REGISTRY": "registry.gitlab.example:5050", "CI_REGISTRY_USER": "gitlab-ci-token",
          "CI_REGISTRY_PASSWORD": "job-pw-1"}, "registry.gitlab.example:5050", ("gitlab-ci-token", "job-pw-1")),
        ({"CI_REGISTRY": "registry.gitlab.example", "CI_JOB_TOKEN": "job-token-2"},
         "registry.gitlab.example", ("gitlab-ci-token", "job-token-2")),
        ({"CI_REGISTRY": "registry.gitlab.example", "CI_JOB_TOKEN": "job-token-2"}, "registry.other.example", None),
    ],
)
def test_ci_conventions(tmp_path, environ, host, expected):
    ctx = Context({"HOME": str(tmp_path), **environ})
    found = CredentialStore(ctx).lookup(host)
    assert ((found.username, found.password) if found else None) == expected


def test_the_docker_config_wins_over_ci_variables(tmp_path):
    ctx = _config(tmp_path, {"auths": {"ghcr.io": {"auth": _auth("explicit", "pw-explicit")}}})
    ctx = Context({**ctx.environ, "GITHUB_TOKEN": "ghs_fromtheenvironment"})
    assert CredentialStore(ctx).lookup("ghcr.io").username == "explicit"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"Username": "u", "Password": "p"}, ("u", "p", None)),
        ({"username": "u", "password": "p", "email": None}, ("u", "p", None)),
        ({"IdentityToken": "idt"}, (None, None, "idt")),
        ({"Username": "u"}, None),
        (None, None),
    ],
)
def test_normalising_what_docker_auth_returns(raw, expected):
    found = normalise_authconfig(raw, origin="test")
    assert ((found.username, found.password, found.identity_token) if found else None) == expected


def test_credentials_never_show_their_secrets_in_repr():
    found = normalise_authconfig({"Username": "u", "Password": "hidden-pw"}, origin="test")
    assert "hidden-pw" not in repr(found)


def _wrapped(text: str, width: int) -> str:
    """``text`` cut into lines of ``width`` characters, as coreutils ``base64`` writes them."""
    return "\n".join(text[i:i + width] for i in range(0, len(text), width))


@pytest.mark.parametrize(("auth", "password"), [
    (_wrapped(_auth("wrapped-user", "w" * 60), 76) + "\n", "w" * 60),  # `printf ... | base64`: 76 a line
    (_wrapped(_auth("wrapped-user", "w" * 60), 76).replace("\n", "\r\n"), "w" * 60),
    (base64.b64encode(b"wrapped-user:pw-padded\x00\x00").decode(), "pw-padded"),  # docker trims NULs too
], ids=["wrapped-at-76", "wrapped-crlf", "nul-padded"])
def test_an_auth_field_is_read_as_the_docker_cli_reads_it(tmp_path, auth, password):
    """docker's decodeAuth skips the line breaks of a wrapped base64 and trims NULs off the password."""
    store = CredentialStore(_config(tmp_path, {"auths": {"wrapped.example": {"auth": auth}}}))
    found = store.lookup("wrapped.example")
    assert found is not None and (found.username, found.password) == ("wrapped-user", password)
