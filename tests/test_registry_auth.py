"""Authentication against the real distribution registry: anonymous, htpasswd, token."""

from __future__ import annotations

import logging

import pytest
import requests
from local_registry import start_registry
from registry_helpers import docker_config, make_source
from registry_proxy import RegistryProxy

from automator.context import Context
from automator.errors import AutomatorError, registered_secrets

ALICE = ("alice", "correct-horse-42")


@pytest.fixture(scope="module")
def basic_registry(tmp_path_factory):
    registry = start_registry(tmp_path_factory.mktemp("basic"), htpasswd=dict([ALICE]))
    registry.push("team/api", "1.0.0", created="2024-01-01T00:00:00Z")
    registry.push("team/api", "1.1.0", created="2024-02-01T00:00:00Z")
    yield registry
    registry.stop()


@pytest.fixture(scope="module")
def token_registry(tmp_path_factory):
    registry = start_registry(tmp_path_factory.mktemp("token"), token=dict([ALICE]))
    for repo in ("team/web", "team/worker"):
        registry.push(repo, "2.0.0", created="2024-03-01T00:00:00Z")
    yield registry
    registry.stop()


@pytest.fixture
def fresh_token_server(token_registry):
    server = token_registry.token_server
    server.requests.clear()
    server.expires_in, server.jwt_lifetime, server.token_field = 300, 300, "token"
    server.anonymous_pull = True
    yield server
    server.expires_in, server.jwt_lifetime, server.token_field = 300, 300, "token"
    server.anonymous_pull = True


def _tags(result):
    assert not isinstance(result, AutomatorError), str(result)
    return [t.tag for t in result]


def test_anonymous_registry_lists_tags_sorted(local_registry):
    for tag in ("1.10.0", "1.2.0", "1.9.0"):
        local_registry.push("auth/anon", tag, created="2024-01-01T00:00:00Z")
    repo = f"{local_registry.host}/auth/anon"
    with make_source() as source:
        assert _tags(source.list_tags([repo])[repo]) == ["1.10.0", "1.2.0", "1.9.0"]


def test_htpasswd_registry_with_docker_config_credentials(basic_registry, tmp_path):
    ctx = docker_config(tmp_path, {basic_registry.host: {"username": ALICE[0], "password": ALICE[1]}})
    repo = f"{basic_registry.host}/team/api"
    with make_source(ctx) as source:
        assert _tags(source.list_tags([repo])[repo]) == ["1.0.0", "1.1.0"]
        meta = source.metadata(repo, ["1.1.0"])["1.1.0"]
        assert meta.created.month == 2


def test_htpasswd_registry_without_credentials_says_none_were_found(basic_registry):
    repo = f"{basic_registry.host}/team/api"
    with make_source() as source:
        error = source.list_tags([repo])[repo]
    assert isinstance(error, AutomatorError)
    message = str(error)
    assert f"{basic_registry.host}/team/api" in message
    assert "HTTP 401" in message and "no credentials were found" in message
    assert "docker login" in message


def test_wrong_password_is_reported_without_showing_it(basic_registry, tmp_path, caplog):
    ctx = docker_config(tmp_path, {basic_registry.host: {"username": "alice", "password": "wrong-password-77"}})
    repo = f"{basic_registry.host}/team/api"
    caplog.set_level(logging.DEBUG)
    with make_source(ctx) as source:
        error = source.list_tags([repo])[repo]
    message = str(error)
    assert "credentials for" in message and "were found in docker config" in message
    assert "wrong-password-77" not in message and "wrong-password-77" not in caplog.text
    assert "Authorization" not in caplog.text


def test_basic_credentials_are_not_sent_before_the_registry_asks(basic_registry, tmp_path):
    with RegistryProxy(basic_registry.url) as proxy:
        ctx = docker_config(tmp_path, {proxy.host: {"username": ALICE[0], "password": ALICE[1]}})
        repo = f"{proxy.host}/team/api"
        with make_source(ctx) as source:
            _tags(source.list_tags([repo])[repo])
        first, second = proxy.seen[0], proxy.seen[1]
    assert "Authorization" not in first.headers
    assert second.headers["Authorization"].startswith("Basic ")


@pytest.mark.parametrize("storage_host", ["localhost", "127.0.0.1"])  # another name; same name, other port
def test_a_blob_redirected_to_storage_goes_there_without_the_registry_login(basic_registry, tmp_path, storage_host):
    auth = requests.auth.HTTPBasicAuth(*ALICE)
    accept = {"Accept": "application/vnd.docker.distribution.manifest.v2+json"}
    manifest = requests.get(f"{basic_registry.url}/v2/team/api/manifests/1.1.0", headers=accept, auth=auth, timeout=10)
    config = manifest.json()["config"]["digest"]
    blob = requests.get(f"{basic_registry.url}/v2/team/api/blobs/{config}", auth=auth, timeout=10).content
    with RegistryProxy(basic_registry.url) as proxy, RegistryProxy(basic_registry.url) as storage:
        storage.add_fault(r"^/bucket/", status=200, body=blob)  # the storage host needs no registry login
        port = storage.host.rsplit(":", 1)[1]
        proxy.add_fault(r"/blobs/", status=307, method="GET",
                        headers={"Location": f"http://{storage_host}:{port}/bucket/{config}?signature=abc"})
        ctx = docker_config(tmp_path, {proxy.host: {"username": ALICE[0], "password": ALICE[1]}})
        repo = f"{proxy.host}/team/api"
        with make_source(ctx) as source:
            info = source.metadata(repo, ["1.1.0"])["1.1.0"]
        (to_registry,) = [s for s in proxy.seen if "/blobs/" in s.path]
        (to_storage,) = storage.seen
    assert not isinstance(info, AutomatorError), str(info)
    assert info.created.month == 2
    assert to_registry.headers["Authorization"].startswith("Basic ")
    assert "Authorization" not in to_storage.headers


def test_token_auth_anonymous_pull(token_registry, fresh_token_server):
    repos = [f"{token_registry.host}/team/web", f"{token_registry.host}/team/worker"]
    with make_source() as source:
        result = source.list_tags(repos)
        assert [_tags(result[r]) for r in repos] == [["2.0.0"], ["2.0.0"]]
        source.metadata(repos[0], ["2.0.0"])
    (asked,) = fresh_token_server.requests  # one token for both scopes, reused for the metadata
    assert sorted(asked["scopes"]) == ["repository:team/web:pull", "repository:team/worker:pull"]
    assert all(r["user"] is None for r in fresh_token_server.requests)


def test_token_auth_sends_credentials_to_the_realm_only(token_registry, fresh_token_server, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    fresh_token_server.anonymous_pull = False
    with RegistryProxy(token_registry.url) as proxy:
        ctx = docker_config(tmp_path, {proxy.host: {"username": ALICE[0], "password": ALICE[1]}})
        repo = f"{proxy.host}/team/web"
        with make_source(ctx) as source:
            assert _tags(source.list_tags([repo])[repo]) == ["2.0.0"]
        sent = [s.headers.get("Authorization", "") for s in proxy.seen]
    assert sent[0] == "" and all(h.startswith("Bearer ") for h in sent[1:])
    assert [r["user"] for r in fresh_token_server.requests] == ["alice"]
    assert all(secret not in caplog.text for secret in registered_secrets())  # tokens, the password
    assert ALICE[1] in registered_secrets() and "Bearer" not in caplog.text


def test_token_refused_without_credentials_names_the_registry(token_registry, fresh_token_server):
    fresh_token_server.anonymous_pull = False
    repo = f"{token_registry.host}/team/web"
    with make_source() as source:
        message = str(source.list_tags([repo])[repo])
    assert "refused a token" in message and "no credentials" in message and token_registry.host in message


@pytest.mark.parametrize(("field", "expires_in"), [("access_token", None), ("both", 1)])
def test_token_answers_with_access_token_or_short_expiry(token_registry, fresh_token_server, field, expires_in):
    fresh_token_server.token_field, fresh_token_server.expires_in = field, expires_in
    repo = f"{token_registry.host}/team/worker"
    with make_source() as source:
        assert _tags(source.list_tags([repo])[repo]) == ["2.0.0"]
        assert source.metadata(repo, ["2.0.0"])["2.0.0"].digest.startswith("sha256:")


def test_an_expired_token_is_refreshed_once_on_invalid_token(token_registry, fresh_token_server):
    repo = f"{token_registry.host}/team/web"
    fresh_token_server.jwt_lifetime = -120  # the registry rejects these: error="invalid_token"
    with make_source() as source:
        failed = source.list_tags([repo])[repo]
        assert isinstance(failed, AutomatorError)  # refreshed once, still expired: give up
        assert len(fresh_token_server.requests) == 2
        fresh_token_server.jwt_lifetime = 300
        info = source.metadata(repo, ["2.0.0"])["2.0.0"]  # cached token is stale -> one refresh
    assert not isinstance(info, AutomatorError), str(info)
    assert len(fresh_token_server.requests) == 3


def test_a_known_challenge_still_refreshes_a_rejected_token_only_once(token_registry, fresh_token_server):
    first, second = f"{token_registry.host}/team/web", f"{token_registry.host}/team/worker"
    with make_source() as source:
        assert _tags(source.list_tags([first])[first]) == ["2.0.0"]  # the challenge is now known
        fresh_token_server.requests.clear()
        fresh_token_server.jwt_lifetime = -120  # every token from now on is rejected: invalid_token
        failed = source.list_tags([second])[second]
    assert isinstance(failed, AutomatorError)
    assert len(fresh_token_server.requests) == 2  # the token, then one refresh, then give up


def test_identity_tokens_use_the_oauth2_refresh_grant(token_registry, fresh_token_server, tmp_path):
    fresh_token_server.anonymous_pull = False
    fresh_token_server.refresh_tokens["identity-token-123"] = "alice"
    ctx = docker_config(tmp_path, {token_registry.host: {"identitytoken": "identity-token-123"}})
    repo = f"{token_registry.host}/team/web"
    with make_source(ctx) as source:
        assert _tags(source.list_tags([repo])[repo]) == ["2.0.0"]
    assert [(r["method"], r["user"]) for r in fresh_token_server.requests] == [("POST", "alice")]


def test_an_identity_token_is_never_posted_on_to_where_the_realm_redirects(token_registry, tmp_path):
    with RegistryProxy(token_registry.url) as proxy, RegistryProxy(token_registry.url) as realm, \
            RegistryProxy(token_registry.url) as elsewhere:
        proxy.add_fault(r"/tags/list", status=401, times=1, headers={
            "WWW-Authenticate": f'Bearer realm="{realm.url}/token",service="test"'})
        realm.add_fault(r"^/token", status=307, headers={"Location": f"{elsewhere.url}/collect"})
        ctx = docker_config(tmp_path, {proxy.host: {"identitytoken": "identity-token-456"}})
        repo = f"{proxy.host}/team/web"
        with make_source(ctx) as source:
            failed = source.list_tags([repo])[repo]
        assert [s.method for s in realm.seen] == ["POST"]
        assert elsewhere.seen == []  # a 307 would have re-sent the refresh token in the body
    assert isinstance(failed, AutomatorError) and "HTTP 307" in str(failed)
    assert "identity-token-456" not in str(failed)


def test_plain_http_only_for_loopback_or_insecure_registries():
    with make_source(Context(), insecure_registries=["registry.lan:5000"]) as source:
        assert source.base_url("127.0.0.1:5000") == "http://127.0.0.1:5000"
        assert source.base_url("localhost:5000") == "http://localhost:5000"
        assert source.base_url("registry.lan:5000") == "http://registry.lan:5000"
        assert source.base_url("registry.lan") == "https://registry.lan"
        assert source.base_url("ghcr.io") == "https://ghcr.io"
        assert source.base_url("docker.io") == "https://registry-1.docker.io"
