"""A run stopped while it commits undoes its work, and a second signal does not cut that short.

An impatient user (or a CI runner that escalates) sends SIGINT and then, while the run puts
the checkout back, SIGINT or SIGTERM again. The undo finishes anyway; had it not, the run
marker would stay for `automator recover`. Either way none of the run's edits is left behind
as if it were the user's, and the next run starts instead of refusing the checkout.
"""

from __future__ import annotations

import signal
import time

import pytest
from git_helpers import (
    assert_clean,
    clone,
    deployment,
    git,
    isolated_git,  # noqa: F401  (autouse fixture)
    make_remote,
    popen_automator,
    run_automator,
    write_tags,
)

APP = "registry.example/team/app"
FILES = 300


@pytest.mark.parametrize("second", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_second_signal_during_the_undo_leaves_nothing_of_the_run_as_the_users(tmp_path, second):
    bare = make_remote(tmp_path, {f"apps/app-{n:03d}.yaml": deployment("app", f"{APP}:1.0.0") for n in range(FILES)})
    work = clone(bare, tmp_path / "work")
    started = tmp_path / "hook-started"
    hook = work / ".git" / "hooks" / "pre-commit"
    hook.write_text(f"#!/bin/sh\ntouch {started}\nsleep 2\n")
    hook.chmod(0o755)
    tags = write_tags(tmp_path / "tags.json", {APP: ["1.0.0", "1.2.0"]})
    before = git(work, "rev-parse", "HEAD")

    process = popen_automator(["run", "apps", "--tags-from", str(tags), "--no-push", "-q"], cwd=work)
    try:
        deadline = time.monotonic() + 60
        while not started.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert started.exists(), "the run never reached its commit"
        process.send_signal(signal.SIGINT)  # while the commit's hook runs
        time.sleep(0.4)
        if process.poll() is None:
            process.send_signal(second)  # while the run puts the checkout back
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 130, stderr
    time.sleep(2)  # the orphaned hook ends

    if (work / ".git" / "automator-run.json").exists():  # the undo could not finish: recovery can
        recovered = run_automator(["recover", "--apply"], cwd=work)
        assert recovered.returncode == 0, recovered.stderr
    assert git(work, "rev-parse", "HEAD") == before
    assert_clean(work)

    again = run_automator(["run", "apps", "--tags-from", str(tags), "--no-push", "-q"], cwd=work)
    assert again.returncode == 0, again.stderr
    assert git(work, "rev-list", "--count", f"{before}..HEAD") == "1"
