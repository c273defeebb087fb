"""``automator run`` as a process: output, exit codes, templates, clone mode, credentials."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest
from git_helpers import (
    assert_clean,
    clone,
    deployment,
    git,
    isolated_git,  # noqa: F401  (autouse fixture)
    make_remote,
    run_automator,
    show,
    write_tags,
)
from git_http_server import GitHTTPServer

APP = "registry.example/team/app"
TOKEN = "tok-7f3a9c1e5b2d4a6f8e0c"


@pytest.fixture
def env_repo(tmp_path):
    files = {
        "envs/prod/app.yaml": deployment("app", f"{APP}:1.0.0"),
        "envs/staging/app.yaml": deployment("app", f"{APP}:1.0.0"),
    }
    bare = make_remote(tmp_path, files, branches=("production",))
    tags = write_tags(tmp_path / "tags.json", {APP: ["1.0.0", "1.1.0", "1.2.0"]})
    return bare, clone(bare, tmp_path / "work"), tags


def test_run_pushes_one_commit_and_reports_it_as_json(env_repo):
    bare, work, tags = env_repo
    done = run_automator(["run", "envs/prod", "--tags-from", str(tags), "--json"], cwd=work)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["commit"] == git(bare, "rev-parse", "main") and result["pushed"] is True
    assert [(u["file"], u["from"], u["to"]) for u in result["updates"]] == [("envs/prod/app.yaml", "1.0.0", "1.2.0")]
    assert f"{APP}:1.0.0" in show(bare, "envs/staging/app.yaml")
    assert_clean(work)


def test_run_from_a_subdirectory_finds_the_repository_root_upward(env_repo):
    bare, work, tags = env_repo
    done = run_automator(["run", "app.yaml", "--tags-from", str(tags)], cwd=work / "envs" / "staging")
    assert done.returncode == 0, done.stderr
    assert "committed" in done.stdout and f"{APP}:1.2.0" in show(bare, "envs/staging/app.yaml")


def test_dry_run_prints_the_plan_and_message_and_changes_nothing(env_repo):
    bare, work, tags = env_repo
    before = git(bare, "rev-parse", "main")
    done = run_automator(["run", "envs", "--tags-from", str(tags), "--dry-run"], cwd=work)
    assert done.returncode == 0, done.stderr
    assert "Update 2 images in envs (app 1.2.0)" in done.stdout
    assert git(bare, "rev-parse", "main") == before
    assert_clean(work)


def test_message_template_placeholders_are_rendered(env_repo):
    bare, work, tags = env_repo
    template = "chore(images): $count update(s) on $branch\\n\\n$updates\\n\\nImages: $images"
    done = run_automator(["run", "envs/prod", "--tags-from", str(tags), "--message-template", template], cwd=work)
    assert done.returncode == 0, done.stderr
    assert git(bare, "log", "-1", "--format=%B", "main").splitlines() == [
        "chore(images): 1 update(s) on main",
        "",
        f"- envs/prod/app.yaml: {APP} 1.0.0 -> 1.2.0 (semver:>=1.0.0)",
        "",
        f"Images: {APP}",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--message-template", "$summary $nope"], "unknown or malformed placeholder"),
        (["--author", "no email here"], "invalid identity"),
        (["--ref", "main"], "--ref needs --repo"),
        (["--no-push", "--branch", "production"], "check out production first"),
    ],
)
def test_usage_errors_exit_2_and_change_nothing(env_repo, args, message):
    bare, work, tags = env_repo
    before = git(bare, "rev-parse", "main")
    done = run_automator(["run", "envs/prod", "--tags-from", str(tags), *args], cwd=work)
    assert done.returncode == 2 and message in done.stderr
    assert git(bare, "rev-parse", "main") == before
    assert_clean(work)


def test_refused_push_exits_3_with_the_hook_message_and_a_clean_checkout(env_repo):
    bare, work, tags = env_repo
    hook = bare / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'direct pushes to main are disabled' >&2\nexit 1\n")
    hook.chmod(0o755)
    done = run_automator(["run", "envs/prod", "--tags-from", str(tags)], cwd=work)
    assert done.returncode == 3
    assert "direct pushes to main are disabled" in done.stderr
    assert_clean(work)
    assert f"{APP}:1.0.0" in (work / "envs" / "prod" / "app.yaml").read_text()


def test_unknown_image_is_a_problem_but_the_rest_is_committed_exit_1(env_repo):
    bare, work, _ = env_repo
    (work / "envs" / "prod" / "db.yaml").write_text(deployment("db", "registry.example/team/db:1.0.0"))
    git(work, "add", "-A")
    git(work, "commit", "--quiet", "-m", "Add db")
    git(work, "push", "--quiet")
    tags = write_tags(work.parent / "partial.json", {APP: ["1.2.0"]})
    done = run_automator(["run", "envs/prod", "--tags-from", str(tags)], cwd=work)
    assert done.returncode == 1, done.stderr
    assert "registry.example/team/db" in done.stderr
    assert f"{APP}:1.2.0" in show(bare, "envs/prod/app.yaml")


def test_clone_mode_pushes_to_the_environment_branch_and_removes_the_clone(env_repo, tmp_path):
    bare, _, tags = env_repo
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    done = run_automator(
        ["run", "envs/prod", "--repo", f"file://{bare}", "--ref", "production", "--tags-from", str(tags)],
        cwd=tmp_path, env={"TMPDIR": str(scratch)},
    )
    assert done.returncode == 0, done.stderr
    assert f"{APP}:1.2.0" in show(bare, "envs/prod/app.yaml", "production")
    assert f"{APP}:1.0.0" in show(bare, "envs/prod/app.yaml", "main")
    assert list(scratch.iterdir()) == []


def test_git_clone_mode_path_missing_in_the_clone_names_the_repository_not_a_temp_dir(env_repo, tmp_path):
    bare, _, tags = env_repo
    done = run_automator(["run", "envs/nope", "--repo", f"file://{bare}", "--tags-from", str(tags)], cwd=tmp_path)
    assert done.returncode == 2
    assert f"envs/nope does not exist in file://{bare}" in done.stderr
    assert "automator-clone" not in done.stderr and "relative to the repository root" in done.stderr


def test_git_clone_mode_path_without_manifests_names_the_repository_not_a_temp_dir(env_repo, tmp_path):
    bare, work, tags = env_repo
    (work / "docs").mkdir()
    (work / "docs/README.md").write_text("notes\n")
    git(work, "add", "-A")
    git(work, "commit", "--quiet", "-m", "docs")
    git(work, "push", "--quiet")
    done = run_automator(["run", "docs", "--repo", f"file://{bare}", "--tags-from", str(tags)], cwd=tmp_path)
    assert done.returncode == 2
    assert f"docs in file://{bare}: holds no YAML manifests" in done.stderr
    assert "automator-clone" not in done.stderr


def test_token_goes_only_into_the_request_header_never_config_or_output(env_repo, tmp_path):
    bare, _, tags = env_repo
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    with GitHTTPServer(bare.parent, "x-access-token", TOKEN) as server:
        url = f"{server.url}/{bare.name}"
        env = {"GIT_TOKEN": TOKEN, "TMPDIR": str(scratch), "AUTOMATOR_TEST_KILL_AT": "before-push"}
        killed = run_automator(["run", "envs/prod", "--repo", url, "--tags-from", str(tags), "-vv"], cwd=tmp_path, env=env)
        assert killed.returncode == -9
        (left_behind,) = scratch.iterdir()  # the killed run could not clean up: inspect its clone
        config = (left_behind / "repo" / ".git" / "config").read_text()
        assert TOKEN not in config and "extraheader" not in config.lower() and url in config
        assert (left_behind / "repo" / ".git" / "shallow").exists(), "clone mode clones shallow"
        env.pop("AUTOMATOR_TEST_KILL_AT")
        done = run_automator(["run", "envs/prod", "--repo", url, "--tags-from", str(tags), "-vv"], cwd=tmp_path, env=env)
        assert done.returncode == 0, done.stderr
        assert TOKEN not in done.stdout + done.stderr + killed.stdout + killed.stderr
        assert server.seen_auth and server.expected in server.seen_auth
    assert f"{APP}:1.2.0" in show(bare, "envs/prod/app.yaml")


def test_without_a_token_the_push_fails_clearly_and_never_prompts(env_repo, tmp_path):
    bare, _, tags = env_repo
    with GitHTTPServer(bare.parent, "x-access-token", TOKEN) as server:
        done = run_automator(["run", "envs/prod", "--repo", f"{server.url}/{bare.name}", "--tags-from", str(tags)], cwd=tmp_path, timeout=30)
    assert done.returncode == 3 and "could not clone" in done.stderr


def test_token_in_the_url_is_moved_to_the_header(env_repo, tmp_path):
    bare, _, tags = env_repo
    with GitHTTPServer(bare.parent, "deployer", TOKEN) as server:
        url = server.url.replace("http://", f"http://deployer:{TOKEN}@") + f"/{bare.name}"
        done = run_automator(["run", "envs/prod", "--repo", url, "--tags-from", str(tags)], cwd=tmp_path, env={k: v for k, v in os.environ.items()})
    assert done.returncode == 0, done.stderr
    assert TOKEN not in done.stdout + done.stderr
    assert f"{APP}:1.2.0" in show(bare, "envs/prod/app.yaml")


@pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="needs ssh-keygen")
def test_commits_are_signed_when_git_config_asks_for_it(env_repo, tmp_path):
    bare, work, tags = env_repo
    key = tmp_path / "signing_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "bot@example.com", "-f", str(key)], check=True)
    for name, value in [("commit.gpgsign", "true"), ("gpg.format", "ssh"), ("user.signingkey", f"{key}.pub"),
                        ("user.name", "Signing Bot"), ("user.email", "bot@example.com")]:
        git(work, "config", name, value)
    done = run_automator(["run", "envs/prod", "--tags-from", str(tags)], cwd=work)
    assert done.returncode == 0, done.stderr
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(f"bot@example.com {(tmp_path / 'signing_ed25519.pub').read_text()}")
    verified = subprocess.run(
        ["git", "-c", f"gpg.ssh.allowedSignersFile={allowed}", "verify-commit", "main"], cwd=bare, capture_output=True, text=True
    )
    assert verified.returncode == 0 and 'Good "git" signature for bot@example.com' in verified.stderr


def test_a_push_failing_with_502_is_tried_again(env_repo, tmp_path):
    bare, _, tags = env_repo
    with GitHTTPServer(bare.parent, "x-access-token", TOKEN, failing_pushes=1) as server:
        url = f"{server.url}/{bare.name}"
        done = run_automator(["run", "envs/prod", "--repo", url, "--tags-from", str(tags), "--json"], cwd=tmp_path, env={"GIT_TOKEN": TOKEN})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["attempts"] == 2 and "502" in done.stderr
    assert f"{APP}:1.2.0" in show(bare, "envs/prod/app.yaml")


def test_a_local_checkout_pushes_with_the_token_from_the_environment(env_repo, tmp_path):
    bare, _, tags = env_repo
    with GitHTTPServer(bare.parent, "x-access-token", TOKEN) as server:
        url = f"{server.url}/{bare.name}"
        checkout = tmp_path / "http-work"
        git(tmp_path, "-c", f"http.extraHeader=Authorization: {server.expected}", "clone", "--quiet", url, str(checkout))
        done = run_automator(["run", "envs/prod", "--tags-from", str(tags)], cwd=checkout, env={"GIT_TOKEN": TOKEN})
        assert done.returncode == 0, done.stderr
        assert TOKEN not in done.stdout + done.stderr
        assert TOKEN not in (checkout / ".git" / "config").read_text()
    assert f"{APP}:1.2.0" in show(bare, "envs/prod/app.yaml")


def test_a_checkout_with_its_own_auth_header_keeps_it_alone(env_repo, tmp_path):
    """actions/checkout persists an extraheader; adding the token as a second one would be refused."""
    bare, _, tags = env_repo
    with GitHTTPServer(bare.parent, "x-access-token", TOKEN) as server:
        url = f"{server.url}/{bare.name}"
        checkout = tmp_path / "http-work"
        git(tmp_path, "-c", f"http.extraHeader=Authorization: {server.expected}", "clone", "--quiet", url, str(checkout))
        git(checkout, "config", f"http.{server.url}/.extraheader", f"Authorization: {server.expected}")
        done = run_automator(["run", "envs/prod", "--tags-from", str(tags)], cwd=checkout, env={"GIT_TOKEN": "some-other-token"})
        assert done.returncode == 0, done.stderr
        assert all(seen == server.expected for seen in server.seen_auth if seen)
    assert f"{APP}:1.2.0" in show(bare, "envs/prod/app.yaml")
