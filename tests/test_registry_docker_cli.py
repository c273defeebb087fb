"""Credentials exactly as the docker CLI finds them, and every form of them kept secret."""

from __future__ import annotations

import base64
import json
import os
import stat

import pytest
from registry_helpers import docker_config, make_source
from registry_proxy import RegistryProxy

from automator.context import Context
from automator.errors import AutomatorError, registered_secrets, scrub
from automator.registry.credentials import CredentialStore
from automator.registry.dockerconfig import HelperError, run_helper


def _auth(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


def _ctx(tmp_path, config: dict | None = None, **environ) -> Context:
    if config is not None:
        (tmp_path / "config.json").write_text(json.dumps(config))
    return Context({"DOCKER_CONFIG": str(tmp_path), "HOME": str(tmp_path), **environ})


@pytest.mark.parametrize("order", [("https://index.docker.io/v1/", "docker.io"), ("docker.io", "https://index.docker.io/v1/")])
def test_docker_hub_uses_the_index_key_when_both_keys_are_present(tmp_path, order):
    entries = {"https://index.docker.io/v1/": {"auth": _auth("cli-user", "pw-index")},
               "docker.io": {"auth": _auth("other-user", "pw-short")}}
    ctx = _ctx(tmp_path, {"auths": {key: entries[key] for key in order}})
    found = CredentialStore(ctx).lookup("docker.io")
    assert (found.username, found.password) == ("cli-user", "pw-index")


def test_docker_hub_still_found_under_a_short_key_alone(tmp_path):
    ctx = _ctx(tmp_path, {"auths": {"docker.io": {"auth": _auth("short", "pw-short-only")}}})
    assert CredentialStore(ctx).lookup("docker.io").username == "short"


def test_docker_auth_config_is_read_first_like_current_docker_clis(tmp_path):
    inline = json.dumps({"auths": {"registry.example:5000": {"auth": _auth("from-env", "pw-env-1")}}})
    ctx = _ctx(tmp_path, {"auths": {"registry.example:5000": {"auth": _auth("from-file", "pw-file")}}},
               DOCKER_AUTH_CONFIG=inline)
    store = CredentialStore(ctx)
    found = store.lookup("registry.example:5000")
    assert (found.username, found.origin) == ("from-env", "DOCKER_AUTH_CONFIG")
    assert store.lookup("other.example") is None
    assert "pw-env-1" in registered_secrets()


def test_docker_auth_config_without_a_config_file(tmp_path):
    inline = json.dumps({"auths": {"https://index.docker.io/v1/": {"auth": _auth("hub", "pw-hub-env")}}})
    ctx = Context({"HOME": str(tmp_path), "DOCKER_AUTH_CONFIG": inline})
    assert CredentialStore(ctx).lookup("docker.io").password == "pw-hub-env"


def test_a_docker_auth_config_that_is_not_json_is_ignored_with_a_warning(tmp_path, caplog):
    ctx = _ctx(tmp_path, {"auths": {"r.example": {"auth": _auth("u", "pw-file-2")}}}, DOCKER_AUTH_CONFIG="{nope")
    assert CredentialStore(ctx).lookup("r.example").username == "u"
    assert "DOCKER_AUTH_CONFIG is not a JSON object" in caplog.text


@pytest.fixture
def helpers(tmp_path, monkeypatch):
    """docker-credential-slow (sleeps) and docker-credential-broken (fails) on PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in {"slow": "import time; time.sleep(30)",
                       "broken": "import sys; print('keychain locked'); sys.exit(3)"}.items():
        helper = bin_dir / f"docker-credential-{name}"
        helper.write_text(f"#!/usr/bin/env python3\n{body}\n")
        helper.chmod(helper.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")


def test_a_missing_credential_helper_is_named_in_the_warning_and_the_error(local_registry, tmp_path, caplog):
    local_registry.push("creds/named", "1.0.0", created="2024-01-01T00:00:00Z")
    with RegistryProxy(local_registry.url) as proxy:
        proxy.add_fault(r"/tags/list", status=401, times=10, headers={"WWW-Authenticate": 'Basic realm="x"'})
        ctx = _ctx(tmp_path, {"credHelpers": {proxy.host: "ecr-login-absent"}})
        repo = f"{proxy.host}/creds/named"
        with make_source(ctx) as source:
            error = source.list_tags([repo])[repo]
    assert isinstance(error, AutomatorError)
    assert "docker-credential-ecr-login-absent is not installed" in str(error)
    assert "docker-credential-ecr-login-absent is not installed" in caplog.text


def test_a_hanging_credential_helper_is_stopped_at_its_timeout(helpers):
    with pytest.raises(HelperError, match="docker-credential-slow did not answer within 0.5 s"):
        run_helper("slow", "r.example", None, timeout=0.5)


def test_a_failing_credential_helper_says_what_it_said(helpers):
    with pytest.raises(HelperError, match=r"docker-credential-broken failed \(exit 3\): keychain locked"):
        run_helper("broken", "r.example", None)


def test_every_derived_form_of_a_password_is_a_secret(tmp_path):
    ctx = _ctx(tmp_path, {"auths": {"r.example": {"auth": _auth("user", "p@ss word+1")}}})
    CredentialStore(ctx).lookup("r.example")
    basic = _auth("user", "p@ss word+1")
    assert scrub(f"Link: <https://r.example/next?x={basic}>") == "Link: <https://r.example/next?x=***>"
    assert "p%40ss+word%2B1" in registered_secrets()  # as a form field would carry it


def test_a_registry_echoing_the_basic_credentials_never_gets_them_printed(local_registry, tmp_path):
    local_registry.push("creds/echo", "1.0.0", created="2024-01-01T00:00:00Z")
    password = "echo-pw-314"
    basic = _auth("echoer", password)
    with RegistryProxy(local_registry.url) as proxy:
        proxy.add_fault(r"/tags/list", status=401, headers={"WWW-Authenticate": 'Basic realm="x"'})
        proxy.link_override[r"/tags/list"] = f'</v2/creds/echo/tags/list?n=1000&echo={basic}>; rel="next"'
        ctx = docker_config(tmp_path, {proxy.host: {"username": "echoer", "password": password}})
        repo = f"{proxy.host}/creds/echo"
        with make_source(ctx) as source:
            error = source.list_tags([repo])[repo]
    message = str(error)
    assert "link back to" in message and "echo=***" in message  # the URL is shown, scrubbed
    assert basic not in message and password not in message
