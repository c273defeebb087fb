"""URLs that would show their password, or that no parser can read, are refused before
anything runs (exit 2), in words that never repeat the URL.

A password written with an unencoded ``/`` (``https://bob:Zx9/Qp+7w==@host/...``) is not a
password to any URL parser, nor to git: the authority ends at the first ``/``, so the password
would be read as the host and the path and shown in full in every message. A host in
``[brackets]`` that is no IPv6 address cannot be read at all. Both are refused for ``--repo``,
a fleet file's ``url:`` (with its file and line) and ``--cache-url``; the same password
percent-encoded (``%2F``) works."""

from __future__ import annotations

import json
import os

import pytest
from git_helpers import deployment, make_remote, run_automator, show, write_tags
from git_http_server import GitHTTPServer

from automator.cli import main
from automator.errors import ExitCode, scrub

PASSWORD = "Zx9/Qp+7w=="
APP = "registry.example/team/app"
NO_TOKENS = {name: "" for name in ("GIT_TOKEN", "GITHUB_TOKEN", "GH_TOKEN", "GITLAB_TOKEN", "CI_JOB_TOKEN", "REDIS_PASSWORD")}


def refused(argv: list[str], capsys) -> str:
    code = main(argv)
    err = capsys.readouterr().err
    assert code == ExitCode.USAGE, err
    assert "Zx9" not in err and "Qp+7w" not in err  # no part of the password
    return err


def test_a_repo_url_whose_password_holds_a_slash_is_refused_with_how_to_write_it(tmp_path, capsys):
    err = refused(["run", str(tmp_path), "--repo", f"https://bob:{PASSWORD}@git.example.com/acme/env.git"], capsys)
    assert "--repo: the URL's user name or password holds a '/'" in err
    assert "percent-encode / as %2F in the password" in err


def test_a_loop_with_such_a_repo_url_is_refused_before_its_first_run(tmp_path):
    # --every would otherwise log the same refusal at every attempt, for ever
    done = run_automator(["run", ".", "--every", "1h", "--repo", f"https://bob:{PASSWORD}@git.example.com/acme/env.git"],
                         cwd=tmp_path, env=NO_TOKENS, timeout=60)
    assert done.returncode == ExitCode.USAGE, done.stderr
    assert "--repo: the URL's user name or password holds a '/'" in done.stderr and "Zx9" not in done.stderr


def test_a_repo_url_with_a_broken_bracketed_host_is_a_usage_error_not_a_crash(tmp_path, capsys):
    err = refused(["run", str(tmp_path), "--repo", f"https://bob:{PASSWORD.replace('/', '')}@[git.example.com/acme/env.git"], capsys)
    assert "--repo: the URL's host or port cannot be read" in err
    assert "internal error" not in err


def test_a_cache_url_whose_password_holds_a_slash_is_refused_without_repeating_it(tmp_path, capsys):
    err = refused(["scan", str(tmp_path), "--cache-url", f"redis://default:{PASSWORD}@redis.example.com:6379/0"], capsys)
    assert "--cache-url: the URL's user name or password holds a '/'" in err and "%2F" in err


@pytest.mark.parametrize(("url", "says"), [
    (f"http://bob:{PASSWORD}@git.example.com/acme/env.git", "url: the URL's user name or password holds a '/'"),
    ("https://[zz]/acme/env.git", "url: the URL's host or port cannot be read"),
    ("http://u:Pw77x@[::1/x.git", "url: the URL's host or port cannot be read"),
])
def test_a_fleet_url_git_could_not_use_is_refused_with_its_file_and_line(url, says, tmp_path, capsys):
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text(f"version: 1\nrepositories:\n  - url: {json.dumps(url)}\n    paths: [clusters/prod]\n")

    err = refused(["fleet", str(fleet), "--json"], capsys)

    assert f"{fleet}:3: {says}" in err
    assert "Pw77x" not in err and "internal error" not in err


def test_a_password_with_slash_written_percent_encoded_clones_and_pushes(tmp_path):
    """The hint's way works: git decodes %2F and sends the password as it is."""
    bare = make_remote(tmp_path, {"envs/prod/app.yaml": deployment("app", f"{APP}:1.0.0")})
    tags = write_tags(tmp_path / "tags.json", {APP: ["1.0.0", "1.2.0"]})
    with GitHTTPServer(bare.parent, "bob", PASSWORD) as server:
        url = server.url.replace("http://", f"http://bob:{PASSWORD.replace('/', '%2F')}@") + f"/{bare.name}"
        done = run_automator(["run", "envs/prod", "--repo", url, "--tags-from", str(tags)], cwd=tmp_path,
                             env={**os.environ, **NO_TOKENS})
    assert done.returncode == 0, done.stderr
    assert "Zx9" not in done.stdout + done.stderr
    assert f"{APP}:1.2.0" in show(bare, "envs/prod/app.yaml")


def test_a_file_url_with_an_at_sign_in_its_path_is_no_password(tmp_path):
    """A CI workspace such as Jenkins' ``job@2`` puts an "@" in a path; a file URL has no user
    information, so it is cloned, not refused."""
    workspace = tmp_path / "job@2"
    workspace.mkdir()
    bare = make_remote(workspace, {"envs/prod/app.yaml": deployment("app", f"{APP}:1.0.0")})
    tags = write_tags(tmp_path / "tags.json", {APP: ["1.0.0", "1.2.0"]})
    done = run_automator(["run", "envs/prod", "--repo", f"file://{bare}", "--tags-from", str(tags)], cwd=tmp_path,
                         env={**os.environ, **NO_TOKENS})
    assert done.returncode == 0, done.stderr
    assert f"{APP}:1.2.0" in show(bare, "envs/prod/app.yaml")


@pytest.mark.parametrize("text", [
    f"could not clone https://bob:{PASSWORD}@git.example.com/acme/env.git: fatal",
    f"fatal: unable to access 'http://bob:{PASSWORD}@127.0.0.1:8080/acme/env.git/': URL using bad/illegal format",
    f'{{"url": "redis://default:{PASSWORD}@redis.example.com:6379/0"}}',
])
def test_messages_never_show_a_password_holding_a_slash(text):
    """The last line of defence, for a URL that reached a message some other way."""
    shown = scrub(text)
    assert "Zx9" not in shown and "Qp+7w" not in shown
    assert "***@" in shown
