"""`automator run` with rules: staging is committed, the promotion to production is a PR.

Real git over smart HTTP on 127.0.0.1, and PyGithub against the strict local GitHub fake.
"""

from __future__ import annotations

import base64
import os
import subprocess
from pathlib import Path

import pytest
from forge_fake_github import FakeGitHub
from git_helpers import isolated_git  # noqa: F401  (autouse fixture)
from git_http_server import GitHTTPServer

from automator.cli import main

TOKEN = "ghp_" + "t" * 36
APP = "ghcr.io/acme/app"
STAGING = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
  annotations:
    automator.dev/policy: "semver:^1"
spec:
  template:
    spec:
      containers:
        - name: app
          image: ghcr.io/acme/app:{tag}
"""
PRODUCTION = STAGING.replace('automator.dev/policy: "semver:^1"', "automator.dev/follow.app: staging/app.yaml")
RULES = "rules:\n  - match: {paths: production/**}\n    pr: {labels: [promotion]}\n"


def git(cwd: Path, *args: str, date: str | None = None) -> str:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}
    if date:
        env |= {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    done = subprocess.run(["git", *args], cwd=cwd, env={**os.environ, **env}, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.fixture
def world(tmp_path, monkeypatch):
    served = tmp_path / "served"
    bare = served / "acme" / "env.git"
    bare.parent.mkdir(parents=True)
    git(tmp_path, "init", "-q", "--bare", "--initial-branch=main", str(bare))
    work = tmp_path / "work"
    git(tmp_path, "clone", "-q", str(bare), str(work))
    git(work, "checkout", "-q", "-B", "main")
    for name, text in {"staging/app.yaml": STAGING.format(tag="1.0.0"),
                       "production/app.yaml": PRODUCTION.format(tag="1.0.0"), ".automator.yaml": RULES}.items():
        (work / name).parent.mkdir(exist_ok=True)
        (work / name).write_text(text)
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "start", date="2024-01-01T00:00:00Z")
    (work / "staging/app.yaml").write_text(STAGING.format(tag="1.1.0"))
    git(work, "commit", "-q", "-am", "staging: app 1.1.0", date="2024-01-02T00:00:00Z")
    upstream = git(work, "rev-parse", "HEAD")
    git(work, "push", "-q", "origin", "main")
    (tmp_path / "tags.yaml").write_text(f'{APP}: ["1.0.0", "1.1.0", "1.2.0"]\n')
    with GitHTTPServer(served, "x-access-token", TOKEN) as server:
        git(work, "remote", "set-url", "origin", f"{server.url}/acme/env.git")
        github = FakeGitHub("acme/env", tokens={TOKEN: "write"},
                            branch_exists=lambda b: bool(git(bare, "for-each-ref", f"refs/heads/{b}")))
        monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
        # the checkout's own git credentials, as a CI runner would configure them
        basic = base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()
        monkeypatch.setenv("GIT_CONFIG_COUNT", "1")
        monkeypatch.setenv("GIT_CONFIG_KEY_0", "http.extraHeader")
        monkeypatch.setenv("GIT_CONFIG_VALUE_0", f"Authorization: Basic {basic}")
        yield work, bare, upstream, github, tmp_path / "tags.yaml"
        github.close()
        assert github.unexpected == []


def test_staging_is_committed_and_the_soaked_promotion_opens_a_pull_request(world, capsys):
    work, bare, upstream, github, tags = world
    code = main(["run", str(work), "--tags-from", str(tags), "--no-cache", "--forge", "github", "--forge-url", github.base])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert "ghcr.io/acme/app:1.2.0" in git(bare, "show", "main:staging/app.yaml")
    assert "ghcr.io/acme/app:1.0.0" in git(bare, "show", "main:production/app.yaml"), "production is reviewed"
    (pull,) = github.open_pulls()
    assert pull["base"] == "main"
    assert "ghcr.io/acme/app:1.1.0" in git(bare, "show", f"{pull['head']}:production/app.yaml")
    assert upstream in pull["body"], "the PR body names the commit that introduced the tag upstream"
    assert "promotion" in [label["name"] if isinstance(label, dict) else label for label in pull["labels"]]


def test_rules_run_json_with_a_commit_and_a_pull_request_is_one_document(world, capsys):
    import json

    work, bare, upstream, github, tags = world
    code = main(["run", str(work), "--tags-from", str(tags), "--no-cache", "--forge", "github", "--forge-url", github.base, "--json"])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    document = json.loads(out)
    assert document["commit"] and document["pushed"] is True
    assert [u["to"] for u in document["updates"]] == ["1.2.0", "1.1.0"]
    (pull,) = document["pull_requests"]
    assert pull["url"].endswith(f"/acme/env/pull/{github.open_pulls()[0]['number']}")


def test_rules_run_with_only_a_pull_request_does_not_claim_there_are_no_updates(world, capsys):
    work, bare, upstream, github, tags = world
    tags.write_text(f'{APP}: ["1.0.0", "1.1.0"]\n')  # staging already runs the newest tag
    code = main(["run", str(work), "--tags-from", str(tags), "--no-cache", "--forge", "github", "--forge-url", github.base])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert len(github.open_pulls()) == 1
    assert "no updates" not in out
    assert "production/app.yaml" in out and "1.0.0 -> 1.1.0" in out


def test_a_dry_run_says_which_updates_would_go_to_a_pull_request_and_why(world, capsys):
    work, bare, upstream, github, tags = world
    # the forge options the run needs for its pull requests: a dry run checks them as the run would
    code = main(["run", str(work), "--tags-from", str(tags), "--no-cache", "--forge", "github", "--forge-url", github.base, "--dry-run"])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    committed, _, reviewed = out.partition("would open or update a pull request for:\n")
    message = committed.split("commit message:\n")[1]
    assert "ghcr.io/acme/app" in message and "production" not in message, "only staging would be committed"
    assert reviewed == (
        "  production/app.yaml: ghcr.io/acme/app 1.0.0 -> 1.1.0 (promoted from staging/app.yaml: "
        "promotions go to a pull request unless a rule says write: commit)\n"
    )
    assert "ghcr.io/acme/app:1.1.0" in git(bare, "show", "main:staging/app.yaml"), "nothing was pushed"
    assert github.open_pulls() == []


def test_no_push_names_the_rule_that_routes_updates_to_pull_requests_and_commits_nothing(world, capsys):
    work, bare, upstream, github, tags = world
    rules = RULES + "  - name: reviewed staging\n    match: {paths: staging/**}\n    write: pr\n"
    (work / ".automator.yaml").write_text(rules)
    git(work, "commit", "-q", "-am", "staging is reviewed too")
    head = git(work, "rev-parse", "HEAD")
    code = main(["run", str(work), "--tags-from", str(tags), "--no-cache", "--no-push"])
    out, err = capsys.readouterr()
    assert code == 2, out + err
    assert "--no-push, but 2 update(s) go to pull requests, which need a pushed branch" in err
    assert "staging/app.yaml: ghcr.io/acme/app 1.1.0 -> 1.2.0 (rule 'reviewed staging' (" in err
    assert "says write: pr)" in err
    assert "--pr pushes a branch" not in err, "--pr was never given"
    assert git(work, "rev-parse", "HEAD") == head and git(work, "status", "--porcelain") == ""
    assert github.open_pulls() == []
