"""A killed run never costs the user anything.

Round after round, ``automator run`` works in a real checkout against a real bare remote and is
killed with SIGKILL: at random moments (the process alone, or its whole process group as a
cancelled CI job is), at each named kill point, and inside a slow pre-commit hook. In half of
the rounds the user then edits files (in the scanned path, outside it, and new files). After
every round:

* the rerun succeeds, or refuses with a reason that names the user's files;
* no user edit or user file is lost, and nothing is staged that the user did not stage;
* the remote history is linear;
* the intended update lands within two reruns (the user stashes their edits after a refusal);
* nothing of the run is left: no marker, no git lock, no rebase, no stray file.

``AUTOMATOR_KILL_ROUNDS`` sets the rounds per seed (default 25: 4 seeds, 100 rounds; about
110 s on a loaded 2-core machine).
Runs are forked from one single-threaded server process that imported the package once
(tests/fork_server.py), so rounds stay cheap.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from git_helpers import (
    ROOT,
    clone,
    commit_elsewhere,
    deployment,
    git,
    isolated_git,  # noqa: F401  (autouse fixture)
    make_remote,
    show,
    write_tags,
)

APP = "registry.example/team/app"
API = "registry.example/team/api"
OTHER = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\ndata:\n  mode: blue\n"
ROUNDS = int(os.environ.get("AUTOMATOR_KILL_ROUNDS", "25"))
SEEDS = (11, 23, 37, 41)
MODES = ("after-apply", "after-commit", "before-push", "rebase-conflict", "hook-group", "hook-process",
         "random-group", "random-process", "random-raced")


class ForkServer:
    """Runs ``automator`` in forks of one single-threaded process (tests/fork_server.py)."""

    def __init__(self) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.process = subprocess.Popen([sys.executable, str(ROOT / "tests" / "fork_server.py")], env=env, text=True,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def ask(self, **request) -> dict:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        assert answer, "the fork server died"
        return json.loads(answer)

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait(timeout=30)


@dataclass
class Run:
    server: ForkServer
    pid: int
    log: Path

    def wait(self) -> int:
        answer = self.server.ask(op="wait", pid=self.pid, timeout=120)
        assert not answer.get("hung"), f"the run hung and was killed after 120 s:\n{self.output}"
        return answer["code"]

    def running(self) -> bool:
        return self.server.ask(op="poll", pid=self.pid)["code"] is None

    @property
    def output(self) -> str:
        return self.log.read_text(errors="replace")


def wait_for(path: Path, run: Run, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline or not run.running():
            return False
        time.sleep(0.005)
    return True


@dataclass
class Round:
    number: int
    mode: str
    user_files: dict[str, str] = field(default_factory=dict)


class KillBench:
    def __init__(self, tmp: Path, seed: int, server: ForkServer) -> None:
        self.server = server
        self.tmp, self.rng, self.seed = tmp, random.Random(seed), seed
        files = {
            "envs/prod/app.yaml": deployment("app", f"{APP}:1.0.0"),
            "envs/prod/api.yaml": deployment("api", f"{API}:1.0.0"),
            "envs/prod/other.yaml": OTHER,
            "README.md": "environments\n",
            "NOTES.md": "notes of the platform team\n",
        }
        self.bare = make_remote(tmp, files)
        self.work = clone(self.bare, tmp / "work")
        self.other = tmp / "other"
        self.tags = tmp / "tags.json"
        self.duration = 0.5
        self.logs = 0

    def log(self) -> Path:
        self.logs += 1
        return self.tmp / f"run-{self.logs}.log"

    def run(self, env: dict[str, str] | None = None) -> Run:
        log = self.log()
        args = ["run", "envs/prod", "--tags-from", str(self.tags), "--retry-timeout", "60"]
        answer = self.server.ask(op="run", args=args, cwd=str(self.work), env=env or {}, log=str(log))
        return Run(self.server, answer["pid"], log)

    def another_writer(self, n: int, *, conflicting: str | None = None) -> None:
        files = {f"docs/note-{n}.md": f"note {n}\n"} if self.rng.random() < 0.5 else {"README.md": f"environments, revision {n}\n"}
        if conflicting:
            files = {"envs/prod/app.yaml": deployment("app", f"{APP}:{conflicting}")}
        commit_elsewhere(self.bare, self.other, files, f"Another writer {n}")

    def hook(self, started: Path | None) -> None:
        hook = self.work / ".git" / "hooks" / "pre-commit"
        if started is None:
            hook.unlink(missing_ok=True)
        else:
            hook.write_text(f"#!/bin/sh\ntouch {started}\nsleep 0.6\n")
            hook.chmod(0o755)

    # --- one round ------------------------------------------------------------------------

    def kill(self, round_: Round) -> None:
        mode, n = round_.mode, round_.number
        if mode in ("after-apply", "after-commit", "before-push"):
            if self.rng.random() < 0.3:
                self.another_writer(n)
            assert self.run({"AUTOMATOR_TEST_KILL_AT": mode}).wait() in (-9, 0)
        elif mode == "rebase-conflict":
            gate = self.tmp / f"gate-{n}"
            run = self.run({"AUTOMATOR_TEST_KILL_AT": mode, "AUTOMATOR_TEST_WAIT_AT": "after-apply", "AUTOMATOR_TEST_WAIT_FILE": str(gate)})
            assert wait_for(gate.with_name(gate.name + ".reached"), run)
            self.another_writer(n, conflicting=f"1.{n}.5")
            gate.touch()
            assert run.wait() == -9, run.output
        elif mode.startswith("hook"):
            started = self.tmp / f"hook-{n}"
            self.hook(started)
            run = self.run()
            assert wait_for(started, run), run.output
            time.sleep(self.rng.uniform(0, 0.3))
            (os.killpg if mode == "hook-group" else os.kill)(run.pid, signal.SIGKILL)
            run.wait()
            self.hook(None)
        else:
            raced = mode == "random-raced"
            gate = self.tmp / f"gate-{n}"
            if not raced and self.rng.random() < 0.3:
                self.another_writer(n)
            env = {"AUTOMATOR_TEST_WAIT_AT": "after-commit", "AUTOMATOR_TEST_WAIT_FILE": str(gate)} if raced else {}
            run = self.run(env)
            if raced:  # the push is rejected: the run replays its commit while it may be killed
                assert wait_for(gate.with_name(gate.name + ".reached"), run), run.output
                self.another_writer(n)
                gate.touch()
            time.sleep(self.rng.uniform(0, self.duration * 1.2))
            (os.killpg if mode == "random-group" or raced else os.kill)(run.pid, signal.SIGKILL)
            run.wait()

    def edit_as_user(self, round_: Round) -> None:
        n = round_.number
        other = self.work / "envs" / "prod" / "other.yaml"
        round_.user_files["envs/prod/other.yaml"] = other.read_text() + f"  edited{n}: by hand\n"
        round_.user_files[f"envs/prod/notes-{n}.txt"] = f"my notes {n}\n"
        if self.rng.random() < 0.3:  # tracked, outside the scanned path (the other writer never touches it)
            notes = self.work / "NOTES.md"
            round_.user_files["NOTES.md"] = notes.read_text() + "local note\n"
        for name, text in round_.user_files.items():
            (self.work / name).write_text(text)
        if self.rng.random() < 0.3:  # an edit in a file the run patches, away from the image line
            app = self.work / "envs" / "prod" / "app.yaml"
            app.write_text(f"# reviewed in round {n}\n" + app.read_text())
            round_.user_files["envs/prod/app.yaml#comment"] = f"# reviewed in round {n}\n"

    def user_files_intact(self, round_: Round) -> None:
        for name, text in round_.user_files.items():
            if name.endswith("#comment"):
                assert (self.work / name.split("#")[0]).read_text().startswith(text), f"round {round_.number}: the user's comment is lost"
            else:
                assert (self.work / name).read_text() == text, f"round {round_.number}: the user's {name} changed"

    def rerun_until_landed(self, round_: Round) -> None:
        stashed = False
        for attempt in (1, 2):
            run = self.run()
            started = time.monotonic()
            code = run.wait()
            if attempt == 1 and code == 0 and not round_.user_files:
                self.duration = 0.7 * self.duration + 0.3 * (time.monotonic() - started)
            assert code in (0, 2), f"round {round_.number} ({round_.mode}), rerun {attempt}: exit {code}\n{run.output}"
            if not stashed:
                self.user_files_intact(round_)
            assert git(self.work, "diff", "--cached", "--name-only") == "", f"round {round_.number}: something is staged"
            if code == 0:
                break
            named = [name.split("#")[0] for name in round_.user_files if name.split("#")[0] in run.output]
            assert named and not stashed, f"round {round_.number}: refused without naming the user's files:\n{run.output}"
            stash = subprocess.run(["git", "stash", "push", "--include-untracked"], cwd=self.work, capture_output=True, text=True)
            assert stash.returncode == 0, f"round {round_.number} ({round_.mode}): {stash.stdout}{stash.stderr}\n{run.output}"
            stashed = True
        else:
            raise AssertionError(f"round {round_.number} ({round_.mode}): the update did not land within two reruns")
        if stashed:
            git(self.work, "stash", "pop", "--quiet")
            self.user_files_intact(round_)

    def check(self, round_: Round) -> None:
        n, git_dir = round_.number, self.work / ".git"
        want = f"1.{n + 1}.0"
        assert f"image: {APP}:{want}" in show(self.bare, "envs/prod/app.yaml"), f"round {n} ({round_.mode}): app did not land"
        assert f"image: {API}:{want}" in show(self.bare, "envs/prod/api.yaml"), f"round {n} ({round_.mode}): api did not land"
        assert git(self.bare, "rev-list", "--merges", "main") == "", "the remote history is not linear"
        left = {name for name in os.listdir(git_dir) if name.startswith("automator-run") or name.endswith(".lock") and name != "automator.lock"}
        assert not left, f"round {n}: left behind {left}"
        assert not (git_dir / "rebase-merge").exists() and not (git_dir / "rebase-apply").exists()
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=self.work, capture_output=True,
                                text=True, check=True).stdout.splitlines()
        dirty = {line[3:] for line in status}
        assert dirty == {name.split("#")[0] for name in round_.user_files}, f"round {n}: unexpected changes {dirty}"
        assert all(line[0] == " " or line.startswith("??") for line in status), f"round {n}: staged {status}"

    def tidy_as_user(self, round_: Round) -> None:
        """The user commits nothing: they throw their experiments away before the next round."""
        git(self.work, "checkout", "--quiet", "HEAD", "--", ".")
        for name in round_.user_files:
            path = self.work / name.split("#")[0]
            if path.exists() and not git(self.work, "ls-files", "--", name.split("#")[0]):
                path.unlink()

    def play(self, n: int) -> Round:
        mode = MODES[(n + self.seed) % len(MODES)] if n < len(MODES) else self.rng.choice(MODES)  # each mode early
        round_ = Round(n, mode)
        write_tags(self.tags, {APP: [f"1.{i}.0" for i in range(n + 2)], API: [f"1.{i}.0" for i in range(n + 2)]})
        self.kill(round_)
        if self.rng.random() < 0.5:
            self.edit_as_user(round_)
        self.rerun_until_landed(round_)
        self.check(round_)
        self.tidy_as_user(round_)
        return round_


@pytest.fixture(scope="module")
def fork_server():
    server = ForkServer()
    yield server
    server.close()


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "fork") or not hasattr(os, "killpg"), reason="forks and kills process groups")
@pytest.mark.parametrize("seed", SEEDS)
def test_killed_runs_never_cost_the_user_anything(tmp_path, seed, fork_server):
    bench = KillBench(tmp_path, seed, fork_server)
    played = [bench.play(n).mode for n in range(ROUNDS)]
    assert set(MODES) <= set(played) or ROUNDS < len(MODES), "every kill mode was played"
    assert subprocess.run(["git", "fsck", "--no-progress"], cwd=bench.bare, capture_output=True).returncode == 0
