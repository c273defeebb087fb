"""When the git server refuses the credentials, the error says which ones it refused.

git words a refused token exactly as a missing one ("could not read Username for '...':
terminal prompts disabled": it asks for credentials and cannot prompt), so the error adds a
hint: the variable whose token was sent (or the URL's password, or the checkout's own header)
was refused by the host, or no token was set at all. The server here is a real smart-HTTP git
server behind Basic auth."""

from __future__ import annotations

import os

import pytest
from git_helpers import clone, deployment, git, make_remote, run_automator, write_tags
from git_http_server import GitHTTPServer

from automator.context import Context
from automator.errors import GitError
from automator.git.branch import BranchPusher
from automator.git.credentials import git_environment

APP = "registry.example/team/app"
TOKEN = "tok-4b8e2a61c9d07f35"
WRONG = "tok-wrong-0000000000"
TOKENS = ("GIT_TOKEN", "GITHUB_TOKEN", "GH_TOKEN", "GITLAB_TOKEN", "CI_JOB_TOKEN")


@pytest.fixture
def served(tmp_path):
    bare = make_remote(tmp_path, {"envs/prod/app.yaml": deployment("app", f"{APP}:1.0.0")})
    tags = write_tags(tmp_path / "tags.json", {APP: ["1.0.0", "1.2.0"]})
    with GitHTTPServer(bare.parent, "x-access-token", TOKEN) as server:
        yield server, f"{server.url}/{bare.name}", tags, bare


def run_clone(url: str, tags, cwd, **tokens: str):
    env = {**{k: v for k, v in os.environ.items() if k not in TOKENS}, **tokens}
    return run_automator(["run", "envs/prod", "--repo", url, "--tags-from", str(tags)], cwd=cwd, env=env, timeout=60)


def test_a_refused_token_is_named_with_its_variable_and_the_host(served, tmp_path):
    server, url, tags, _ = served
    done = run_clone(url, tags, tmp_path, GIT_TOKEN=WRONG)
    host = server.url.removeprefix("http://")
    assert done.returncode == 3
    assert "could not clone" in done.stderr
    assert f"the token in GIT_TOKEN was refused by {host}: check it is valid and may read and write the repository" in done.stderr
    assert WRONG not in done.stderr


def test_the_variable_named_is_the_one_whose_token_was_sent(served, tmp_path):
    _, url, tags, _ = served
    done = run_clone(url, tags, tmp_path, GITLAB_TOKEN=WRONG)  # another host: the first token set
    assert "the token in GITLAB_TOKEN was refused" in done.stderr


def test_without_any_token_the_error_says_none_was_set(served, tmp_path):
    _, url, tags, _ = served
    done = run_clone(url, tags, tmp_path)
    assert done.returncode == 3
    assert "no token was set: set GIT_TOKEN (or GITHUB_TOKEN/GITLAB_TOKEN)" in done.stderr
    assert "was refused" not in done.stderr


def test_a_refused_password_in_the_url_is_named_as_such(served, tmp_path):
    server, url, tags, _ = served
    done = run_clone(url.replace("http://", f"http://x-access-token:{WRONG}@"), tags, tmp_path)
    assert "the password in the URL was refused by" in done.stderr
    assert WRONG not in done.stderr


def test_a_push_or_fetch_refused_by_the_server_says_which_token(served, tmp_path):
    """The branch pusher (pull request mode) says it as the clone does."""
    _, url, _, bare = served
    work = clone(bare, tmp_path / "work")
    git(work, "remote", "set-url", "origin", url)
    pusher = BranchPusher(work, base="main", git_env=git_environment(Context({"GITHUB_TOKEN": WRONG}), url=url))

    with pytest.raises(GitError) as caught:
        pusher.remote_sha("automator/all")

    assert "the token in GITHUB_TOKEN was refused by" in str(caught.value)


def test_other_git_failures_get_no_credentials_hint(tmp_path):
    missing = tmp_path / "no-such-repository.git"
    done = run_automator(["run", ".", "--repo", str(missing)], cwd=tmp_path, env={"GIT_TOKEN": WRONG})
    assert done.returncode == 3 and "could not clone" in done.stderr
    assert "refused" not in done.stderr and "no token was set" not in done.stderr
