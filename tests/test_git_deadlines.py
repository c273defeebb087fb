"""Nothing git does over the network can hang a run: pushes, fetches and clones stop at the
deadline derived from --retry-timeout, and transports that cannot work are refused up front."""

from __future__ import annotations

import time

import pytest
from git_helpers import (
    clone,
    deployment,
    git,
    isolated_git,  # noqa: F401  (autouse fixture)
    make_remote,
    run_automator,
    write_tags,
)

from automator.errors import UsageError
from automator.git.backoff import RetryPolicy
from automator.git.network import GitTimeout, check_transport, run_git

APP = "registry.example/team/app"
DEADLINE = 3


@pytest.fixture
def env_repo(tmp_path):
    bare = make_remote(tmp_path, {"envs/prod/app.yaml": deployment("app", f"{APP}:1.0.0")})
    tags = write_tags(tmp_path / "tags.json", {APP: ["1.0.0", "1.2.0"]})
    return bare, clone(bare, tmp_path / "work"), tags


def _process_gone(pid: int) -> bool:
    """Not running: no such process, or a zombie waiting for a parent to reap it."""
    try:
        status = open(f"/proc/{pid}/status").read()
    except FileNotFoundError:
        return True
    return "State:\tZ" in status


def test_a_remote_that_accepts_a_push_and_never_answers_is_cut_off_at_the_deadline(env_repo, tmp_path):
    bare, work, tags = env_repo
    pid_file = tmp_path / "receive-pack.pid"
    stall = tmp_path / "stalling-receive-pack"
    stall.write_text(f"#!/bin/sh\necho $$ > {pid_file}\nexec sleep 600\n")  # takes the push, never says a word
    stall.chmod(0o755)
    git(work, "config", "remote.origin.receivepack", str(stall))
    before = git(bare, "rev-parse", "main")

    started = time.monotonic()
    done = run_automator(["run", "envs/prod", "--tags-from", str(tags), "--retry-timeout", str(DEADLINE)], cwd=work, timeout=60)
    took = time.monotonic() - started

    assert done.returncode == 3, done.stderr
    assert "git push to origin" in done.stderr and f"within the --retry-timeout deadline of {DEADLINE} s" in done.stderr
    assert took < DEADLINE * 4, f"the run took {took:.1f} s for a {DEADLINE} s deadline"
    assert _process_gone(int(pid_file.read_text())), "the stalled transport was killed with git"
    assert git(bare, "rev-parse", "main") == before
    assert git(work, "status", "--porcelain") == ""
    assert f"{APP}:1.0.0" in (work / "envs" / "prod" / "app.yaml").read_text()


def test_run_git_kills_the_whole_process_group_at_the_deadline(tmp_path):
    with pytest.raises(GitTimeout, match=r"git fetch from slowpoke did not finish within its 0.5 s deadline"):
        run_git(["-c", "alias.nap=!sleep 30", "nap"], timeout=0.5, what="git fetch from slowpoke", cwd=tmp_path)


@pytest.mark.parametrize("url", ["fd::3", "fd::3/anything", "ext::sh -c true", "EXT::git-upload-pack %S"])
def test_unusable_transports_are_refused(url):
    with pytest.raises(UsageError, match="transport, which cannot be used here"):
        check_transport(url)


@pytest.mark.parametrize("url", ["https://example.com/env.git", "git@example.com:acme/env.git", "/srv/env.git", "file:///srv/env.git"])
def test_ordinary_remotes_pass(url):
    check_transport(url)


def test_repo_fd_is_refused_at_once_instead_of_hanging(tmp_path, env_repo):
    _, _, tags = env_repo
    done = run_automator(["run", "envs/prod", "--repo", "fd::3", "--tags-from", str(tags)], cwd=tmp_path, timeout=30)
    assert done.returncode == 2 and "'fd' transport" in done.stderr and "https://" in done.stderr


def test_a_checkout_whose_remote_is_an_ext_command_is_refused(env_repo):
    _, work, tags = env_repo
    git(work, "remote", "set-url", "origin", "ext::sh -c 'touch pwned'")
    done = run_automator(["run", "envs/prod", "--tags-from", str(tags)], cwd=work, timeout=30)
    assert done.returncode == 2 and "remote origin ext::" in done.stderr
    assert not (work / "pwned").exists()


@pytest.mark.parametrize("seconds", [float("nan"), float("inf"), 0.0, -1.0])
def test_retry_timeout_must_be_a_finite_positive_number(seconds):
    with pytest.raises(UsageError, match="finite number of seconds above 0"):
        RetryPolicy(max_seconds=seconds)


@pytest.mark.slow
def test_a_sigterm_handed_to_another_thread_during_a_stalled_push_stops_the_run_at_once(local_registry, tmp_path):
    """The main thread waits for a network git process in short steps: a signal the kernel
    handed to one of the registry's worker threads (idle after the listing) is handled within
    a fraction of a second, not at the push's deadline."""
    from git_helpers import popen_automator
    from signal_helpers import signal_a_worker_thread, sigterm_once

    image = f"{local_registry.host}/deadlines/stalled"
    local_registry.push("deadlines/stalled", "1.0.0")
    local_registry.push("deadlines/stalled", "1.2.0")
    bare = make_remote(tmp_path, {"envs/prod/app.yaml": deployment("app", f"{image}:1.0.0")})
    work = clone(bare, tmp_path / "work")
    pid_file = tmp_path / "receive-pack.pid"
    stall = tmp_path / "stalling-receive-pack"
    stall.write_text(f"#!/bin/sh\necho $$ > {pid_file}\nexec sleep 600\n")
    stall.chmod(0o755)
    git(work, "config", "remote.origin.receivepack", str(stall))
    before = git(bare, "rev-parse", "main")
    process = popen_automator(["run", "envs/prod", "--no-cache", "--retry-timeout", "120"], cwd=work, env={"HOME": str(tmp_path)})
    took, stderr = sigterm_once(process, pid_file.exists, "the push never reached the remote", signal_a_worker_thread)
    assert process.returncode == 130, stderr
    assert took < 2, f"exited {took:.1f} s after SIGTERM"
    assert git(bare, "rev-parse", "main") == before
    assert f"{image}:1.0.0" in (work / "envs" / "prod" / "app.yaml").read_text()
