"""A stop signal that comes while a failed attempt is being undone is not lost.

The undo holds SIGINT and SIGTERM so that it finishes (a checkout half put back would be
worse than a late stop); once it is done, the signal reaches its handler. So ``run --every``
told to stop while it undid a refused push stops, as it does at any other moment, instead of
sleeping until its next attempt.
"""

from __future__ import annotations

import signal
import time

from git_helpers import clone, deployment, make_remote, popen_automator, write_tags

APP = "registry.example/team/app"


def test_sigterm_during_the_undo_of_a_refused_push_stops_the_loop(tmp_path):
    bare = make_remote(tmp_path, {"apps/app.yaml": deployment("app", f"{APP}:1.0.0")})
    work = clone(bare, tmp_path / "work")
    hooks = work / ".git" / "hooks"
    refused, undoing = tmp_path / "push-refused", tmp_path / "undoing"
    (hooks / "pre-push").write_text(f"#!/bin/sh\ntouch {refused}\nexit 1\n")
    # the undo checks files out again: the hook makes that moment last
    (hooks / "post-checkout").write_text(f"#!/bin/sh\nif [ -e {refused} ]; then touch {undoing}; sleep 3; fi\n")
    for hook in ("pre-push", "post-checkout"):
        (hooks / hook).chmod(0o755)
    tags = write_tags(tmp_path / "tags.json", {APP: ["1.0.0", "1.2.0"]})

    loop = popen_automator(["run", "apps", "--tags-from", str(tags), "--every", "1h"], cwd=work)
    try:
        deadline = time.monotonic() + 60
        while not undoing.exists() and loop.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert undoing.exists(), "the attempt never reached its undo"
        loop.send_signal(signal.SIGTERM)
        _, err = loop.communicate(timeout=60)  # not an hour: the signal was not lost
    finally:
        if loop.poll() is None:
            loop.kill()
            loop.wait()
    assert loop.returncode == 0, err
    assert "stopping" in err
    assert "1.0.0" in (work / "apps" / "app.yaml").read_text(), "the refused attempt was undone"
