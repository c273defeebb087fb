"""Many writers on one remote, racing runs on one file, and runs killed mid-way."""

from __future__ import annotations

import json
import threading
import time

import pytest
from git_helpers import (
    assert_clean,
    clone,
    commit_elsewhere,
    deployment,
    git,
    isolated_git,  # noqa: F401  (autouse fixture)
    make_remote,
    popen_automator,
    run_automator,
    show,
    write_tags,
)

APP = "registry.example/team/app"
WRITERS = 5
OTHER_COMMITS = 4


def test_concurrent_runs_and_another_writer_all_land_with_linear_history(tmp_path):
    files = {f"envs/e{i}/app.yaml": deployment("app", f"{APP}:1.0.0") for i in range(WRITERS)}
    bare = make_remote(tmp_path, files)
    tags = write_tags(tmp_path / "tags.json", {APP: ["1.0.0", "1.5.0"]})
    checkouts = [clone(bare, tmp_path / f"job{i}") for i in range(WRITERS)]
    others: list[str] = []

    def other_writer() -> None:
        for n in range(OTHER_COMMITS):
            others.append(commit_elsewhere(bare, tmp_path / "other", {f"docs/note{n}.md": f"note {n}\n"}, f"Note {n}"))

    thread = threading.Thread(target=other_writer)
    runs = [popen_automator(["run", f"envs/e{i}", "--tags-from", str(tags)], cwd=checkouts[i]) for i in range(WRITERS)]
    thread.start()
    outputs = [run.communicate(timeout=120) for run in runs]
    thread.join()
    assert [run.returncode for run in runs] == [0] * WRITERS, [err for _, err in outputs]
    for i in range(WRITERS):
        assert f"image: {APP}:1.5.0" in show(bare, f"envs/e{i}/app.yaml")
        assert_clean(checkouts[i])
    history = git(bare, "rev-list", "main").splitlines()
    assert set(others) <= set(history) and len(others) == OTHER_COMMITS
    assert len(history) == 1 + WRITERS + OTHER_COMMITS
    assert git(bare, "rev-list", "--merges", "main") == ""


def _wait_for(path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


@pytest.mark.parametrize("held", ["older view", "newer view"])
def test_two_runs_racing_on_one_file_leave_the_newest_allowed_tag(tmp_path, held):
    """One run is held after applying its plan while the other lands; then it is released."""
    bare = make_remote(tmp_path, {"envs/prod/app.yaml": deployment("app", f"{APP}:1.0.0")})
    views = {
        "older view": write_tags(tmp_path / "older.json", {APP: ["1.0.0", "1.2.0"]}),
        "newer view": write_tags(tmp_path / "newer.json", {APP: ["1.0.0", "1.2.0", "1.3.0"]}),
    }
    other = "newer view" if held == "older view" else "older view"
    gate = tmp_path / "gate"
    held_run = popen_automator(
        ["run", "envs/prod", "--tags-from", str(views[held]), "--json"],
        cwd=clone(bare, tmp_path / "held"),
        env={"AUTOMATOR_TEST_WAIT_AT": "after-apply", "AUTOMATOR_TEST_WAIT_FILE": str(gate)},
    )
    _wait_for(gate.with_name("gate.reached"))
    free = run_automator(["run", "envs/prod", "--tags-from", str(views[other])], cwd=clone(bare, tmp_path / "free"))
    assert free.returncode == 0, free.stderr
    gate.touch()
    out, err = held_run.communicate(timeout=60)
    assert held_run.returncode == 0, err
    assert json.loads(out)["replans"] == 1, "the held run's rebase conflicted and it re-planned"
    assert f"image: {APP}:1.3.0" in show(bare, "envs/prod/app.yaml")
    assert git(bare, "rev-list", "--merges", "main") == ""


@pytest.mark.parametrize("point", ["after-apply", "after-commit", "before-push", "rebase-conflict"])
def test_killed_run_leaves_no_partial_state_and_the_next_run_recovers(tmp_path, point):
    original = deployment("app", f"{APP}:1.0.0")
    bare = make_remote(tmp_path, {"envs/prod/app.yaml": original, "envs/prod/api.yaml": deployment("api", f"{APP}:1.0.0")})
    tags = write_tags(tmp_path / "tags.json", {APP: ["1.0.0", "1.2.0"]})
    work = clone(bare, tmp_path / "work")
    env = {"AUTOMATOR_TEST_KILL_AT": point}
    if point == "rebase-conflict":  # another writer changes the same line while the run is held
        gate = tmp_path / "gate"
        env.update(AUTOMATOR_TEST_WAIT_AT="after-apply", AUTOMATOR_TEST_WAIT_FILE=str(gate))
        run = popen_automator(["run", "envs/prod", "--tags-from", str(tags)], cwd=work, env=env)
        _wait_for(gate.with_name("gate.reached"))
        commit_elsewhere(bare, tmp_path / "other", {"envs/prod/app.yaml": deployment("app", f"{APP}:1.1.0")}, "Other run")
        gate.touch()
        run.communicate(timeout=60)
        killed_code = run.returncode
        assert not (work / ".git" / "rebase-merge").exists() and not (work / ".git" / "rebase-apply").exists(), (
            "the commit is replayed without touching the checkout: no rebase is ever left behind"
        )
    else:
        killed_code = run_automator(["run", "envs/prod", "--tags-from", str(tags)], cwd=work, env=env).returncode
    assert killed_code == -9
    for name in ("app.yaml", "api.yaml"):  # outside a rebase, every file is wholly old or wholly new
        text = (work / "envs" / "prod" / name).read_text()
        if point != "rebase-conflict":
            assert text.replace("1.2.0", "1.0.0") == deployment(name[:3], f"{APP}:1.0.0")
    assert not [p.name for p in (work / "envs" / "prod").iterdir() if p.name.endswith(".tmp")]

    done = run_automator(["run", "envs/prod", "--tags-from", str(tags)], cwd=work)
    assert done.returncode == 0, done.stderr
    assert_clean(work)
    assert f"image: {APP}:1.2.0" in show(bare, "envs/prod/app.yaml")
    assert f"image: {APP}:1.2.0" in show(bare, "envs/prod/api.yaml")
    assert git(bare, "rev-list", "--merges", "main") == ""


def test_terminated_run_undoes_its_commit_and_exits_130(tmp_path):
    bare = make_remote(tmp_path, {"envs/prod/app.yaml": deployment("app", f"{APP}:1.0.0")})
    tags = write_tags(tmp_path / "tags.json", {APP: ["1.0.0", "1.2.0"]})
    work = clone(bare, tmp_path / "work")
    before = git(work, "rev-parse", "HEAD")
    gate = tmp_path / "gate"
    run = popen_automator(
        ["run", "envs/prod", "--tags-from", str(tags)], cwd=work,
        env={"AUTOMATOR_TEST_WAIT_AT": "after-commit", "AUTOMATOR_TEST_WAIT_FILE": str(gate)},
    )
    _wait_for(gate.with_name("gate.reached"))
    run.terminate()
    _, err = run.communicate(timeout=30)
    assert run.returncode == 130, err
    assert git(work, "rev-parse", "HEAD") == before
    assert not (work / ".git" / "automator-run.json").exists()
    assert_clean(work)
    assert git(bare, "rev-parse", "main") == before


def test_two_runs_in_one_checkout_take_turns(tmp_path):
    """The second run waits for the first one's lock instead of tripping over its files."""
    bare = make_remote(tmp_path, {"envs/prod/app.yaml": deployment("app", f"{APP}:1.0.0")})
    tags = write_tags(tmp_path / "tags.json", {APP: ["1.0.0", "1.2.0"]})
    work = clone(bare, tmp_path / "work")
    gate = tmp_path / "gate"
    first = popen_automator(
        ["run", "envs/prod", "--tags-from", str(tags)], cwd=work,
        env={"AUTOMATOR_TEST_WAIT_AT": "after-apply", "AUTOMATOR_TEST_WAIT_FILE": str(gate)},
    )
    _wait_for(gate.with_name("gate.reached"))
    second = popen_automator(["run", "envs/prod", "--tags-from", str(tags)], cwd=work)
    time.sleep(1.0)  # let the second run reach the lock while the first holds it (no assertion on time)
    gate.touch()
    outputs = [first.communicate(timeout=60), second.communicate(timeout=60)]
    assert (first.returncode, second.returncode) == (0, 0), outputs
    assert "no updates" in outputs[1][0]
    assert git(bare, "rev-list", "--count", "main") == "2"
    assert_clean(work)
