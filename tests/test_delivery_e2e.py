"""Sample runs as real processes: a real env repo with a bare remote, tags from a file.

GitHub: annotations on stdout, the plan in $GITHUB_STEP_SUMMARY, outputs in $GITHUB_OUTPUT.
GitLab: --markdown and --dotenv artifacts. Cron: --every loops until SIGTERM, health file.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_delivery_reports import parse_github_output

ROOT = Path(__file__).resolve().parent.parent

WEB = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations:
    automator.dev/policy: semver:^1
spec:
  template:
    spec:
      containers:
        - name: web
          image: ghcr.io/acme/web:1.2.0
"""
CACHE = WEB.replace("web", "cache").replace("ghcr.io/acme/cache:1.2.0", "docker.io/library/redis:7.0.0")
TAGS = {"ghcr.io/acme/web": ["1.2.0", "1.3.0", "2.0.0"]}


def git(*args: str, cwd: Path) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def env_repo(tmp_path):
    return make_env_repo(tmp_path)


def make_env_repo(tmp_path: Path) -> Path:
    """A clone of a bare remote with envs/prod/{web,cache}.yaml; redis is not in the tags file."""
    remote, work = tmp_path / "remote.git", tmp_path / "work"
    git("init", "-q", "--bare", "-b", "main", str(remote), cwd=tmp_path)
    git("clone", "-q", str(remote), str(work), cwd=tmp_path)
    (work / "envs" / "prod").mkdir(parents=True)
    (work / "envs" / "prod" / "web.yaml").write_text(WEB)
    (work / "envs" / "prod" / "cache.yaml").write_text(CACHE)
    git("add", "-A", cwd=work)
    git("commit", "-qm", "initial", cwd=work)
    git("push", "-q", "-u", "origin", "HEAD:main", cwd=work)
    (tmp_path / "tags.json").write_text(json.dumps(TAGS))
    return work


def automator_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GITLAB_", "CI", "INPUT_", "RUNNER_"))}
    env.update(PYTHONPATH=str(ROOT), HOME=str(tmp_path), AUTOMATOR_CACHE_DIR=str(tmp_path / "cache"), **extra)
    return env


def github_env(tmp_path: Path, work: Path, **extra: str) -> dict[str, str]:
    (tmp_path / "summary.md").write_text("")
    (tmp_path / "output").write_text("")
    return automator_env(
        tmp_path,
        GITHUB_ACTIONS="true",
        GITHUB_WORKSPACE=str(work),
        GITHUB_STEP_SUMMARY=str(tmp_path / "summary.md"),
        GITHUB_OUTPUT=str(tmp_path / "output"),
        RUNNER_TEMP=str(tmp_path),
        **extra,
    )


def automator(*args: str, env: dict[str, str], module: str = "automator") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", module, *args], env=env, capture_output=True, text=True, timeout=120)


def test_github_run_commits_and_leaves_annotations_summary_and_outputs(tmp_path, env_repo):
    env = github_env(tmp_path, env_repo)
    done = automator("run", str(env_repo / "envs"), "--tags-from", str(tmp_path / "tags.json"), env=env)
    assert done.returncode == 1, done.stderr  # redis failed, web was still committed
    annotations = [line for line in done.stdout.splitlines() if line.startswith("::")]
    assert annotations[0].startswith("::error file=envs/prod/cache.yaml,line=12,title=automator%3A docker.io/library/redis::")
    assert "not listed in the tags file" in annotations[0]
    assert annotations[1].startswith("::notice file=envs/prod/web.yaml,line=12,title=automator%3A semver%3A^1::ghcr.io/acme/web: 1.2.0 -> 1.3.0")
    summary = (tmp_path / "summary.md").read_text()
    assert "| `envs/prod/web.yaml:12` | `ghcr.io/acme/web` | `1.2.0` -> `1.3.0` | `semver:^1` |" in summary
    assert "- **error** `envs/prod/cache.yaml:12` `docker.io/library/redis`" in summary
    outputs = parse_github_output((tmp_path / "output").read_text())
    pushed = git("rev-parse", "main", cwd=tmp_path / "remote.git")
    assert (outputs["updated"], outputs["problems"], outputs["commit"], outputs["pr-url"]) == ("1", "1", pushed, "")
    assert [(u["file"], u["from"], u["to"]) for u in json.loads(outputs["updates"])] == [("envs/prod/web.yaml", "1.2.0", "1.3.0")]
    assert "image: ghcr.io/acme/web:1.3.0" in git("show", "main:envs/prod/web.yaml", cwd=tmp_path / "remote.git")


def test_action_entry_maps_inputs_and_a_dry_run_writes_nothing(tmp_path, env_repo):
    before = git("rev-parse", "main", cwd=tmp_path / "remote.git")
    env = github_env(
        tmp_path,
        env_repo,
        INPUT_PATH=str(env_repo / "envs" / "prod" / "web.yaml"),
        INPUT_TAGS_FILE=str(tmp_path / "tags.json"),
        INPUT_DRY_RUN="true",
        INPUT_VERBOSE="false",
        INPUT_TOKEN="ghs_0123456789abcdefghijABCDEFGHIJ",
    )
    done = automator(env=env, module="automator.ci.action")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "::add-mask::ghs_0123456789abcdefghijABCDEFGHIJ"
    shown = [line for line in (done.stdout + done.stderr).splitlines() if "ghs_0123456789abcdefghijABCDEFGHIJ" in line]
    assert set(shown) == {"::add-mask::ghs_0123456789abcdefghijABCDEFGHIJ"}
    outputs = parse_github_output((tmp_path / "output").read_text())
    assert (outputs["updated"], outputs["commit"]) == ("1", "")
    assert "`1.2.0` -> `1.3.0`" in (tmp_path / "summary.md").read_text()
    assert git("rev-parse", "main", cwd=tmp_path / "remote.git") == before
    assert git("status", "--porcelain", cwd=env_repo) == ""
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("automator-")) == []


def test_gitlab_run_writes_markdown_and_dotenv_artifacts_and_no_workflow_commands(tmp_path, env_repo):
    env = automator_env(tmp_path, GITLAB_CI="true", CI="true")
    report, dotenv_file = tmp_path / "automator-report.md", tmp_path / "automator.env"
    done = automator(
        "run", str(env_repo / "envs" / "prod" / "web.yaml"), "--tags-from", str(tmp_path / "tags.json"),
        "--markdown", str(report), "--dotenv", str(dotenv_file), env=env,
    )
    assert done.returncode == 0, done.stderr
    assert "::" not in done.stdout
    assert "`1.2.0` -> `1.3.0`" in report.read_text()
    variables = dict(line.split("=", 1) for line in dotenv_file.read_text().splitlines())
    assert variables["AUTOMATOR_UPDATED"] == "1"
    assert variables["AUTOMATOR_COMMIT"] == git("rev-parse", "main", cwd=tmp_path / "remote.git")
    assert json.loads(variables["AUTOMATOR_UPDATES"])[0]["to"] == "1.3.0"


def wait_for(predicate, what: str, limit: float = 60.0):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what}")


def health_of(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def test_loop_mode_repeats_until_sigterm_then_exits_0_with_a_stopped_health_file(tmp_path, env_repo):
    health = tmp_path / "health.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "automator", "run", str(env_repo / "envs" / "prod" / "web.yaml"),
         "--tags-from", str(tmp_path / "tags.json"), "--every", "1s", "--health-file", str(health)],
        env=automator_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        wait_for(lambda: health_of(health).get("attempt", 0) >= 2 and health_of(health)["status"] == "ok", "a second attempt")
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 0, err
    record = health_of(health)
    assert record["status"] == "stopped" and record["attempt"] >= 2 and record["pid"] == process.pid
    log = git("log", "--format=%s", "main", cwd=tmp_path / "remote.git").splitlines()
    assert len(log) == 2  # the first attempt committed; later ones found nothing to do
    assert out.count("committed ") == 1


def test_one_shot_mode_runs_once_and_exits_by_itself(tmp_path, env_repo):
    health = tmp_path / "health.json"
    done = automator(
        "run", str(env_repo / "envs" / "prod" / "web.yaml"), "--tags-from", str(tmp_path / "tags.json"),
        "--health-file", str(health), env=automator_env(tmp_path),
    )
    assert done.returncode == 0, done.stderr
    assert (health_of(health)["status"], health_of(health)["attempt"]) == ("ok", 1)
    probe = automator("check", str(health), "--max-age", "5m", env=automator_env(tmp_path), module="automator.schedule")
    assert probe.returncode == 0


def test_bad_interval_is_refused_before_any_attempt(tmp_path, env_repo):
    done = automator("run", str(env_repo), "--every", "soon", env=automator_env(tmp_path))
    assert done.returncode == 2
    assert "invalid interval 'soon'" in done.stderr


def test_action_in_pr_mode_reports_the_pull_request_url_as_an_output(tmp_path):
    from forge_fake_github import FakeGitHub
    from forge_helpers import deployment, make_env_repo, tags
    from forge_helpers import git as helper_git

    env = make_env_repo(tmp_path, {"clusters/prod/app.yaml": deployment()})
    url = "https://github.example/acme/env.git"
    helper_git(env.clone, "remote", "set-url", "origin", url)
    helper_git(env.clone, "config", f"url.{env.bare}.insteadOf", url)
    (tmp_path / "tags.json").write_text(json.dumps(tags(podinfo="6.5.1")))
    token = "ghp_" + "w" * 36
    fake = FakeGitHub("acme/env", tokens={token: "write"}, branch_exists=env.branch_exists)
    try:
        run_env = github_env(
            tmp_path, env.clone,
            INPUT_PATH=str(env.clone / "clusters" / "prod"), INPUT_MODE="pr", INPUT_LABELS="automated",
            INPUT_TAGS_FILE=str(tmp_path / "tags.json"), INPUT_FORGE_URL=fake.base, INPUT_TOKEN=token,
        )
        done = automator(env=run_env, module="automator.ci.action")
    finally:
        fake.close()
    assert done.returncode == 0, done.stdout + done.stderr
    assert fake.unexpected == []
    [pull] = fake.open_pulls()
    outputs = parse_github_output((tmp_path / "output").read_text())
    assert outputs["pr-url"] == f"https://github.example/acme/env/pull/{pull['number']}"
    assert outputs["updated"] == "1" and outputs["branch"] == pull["head"]
    assert f"Pull request: {outputs['pr-url']}" in (tmp_path / "summary.md").read_text()
    assert token not in done.stdout.replace(f"::add-mask::{token}", "") + done.stderr


def start_blocked_run(tmp_path: Path, work: Path) -> tuple[subprocess.Popen, Path, Path]:
    """A looping run whose first attempt waits for its tags file, a FIFO nobody writes yet."""
    fifo, health = tmp_path / "tags.fifo", tmp_path / "health.json"
    os.mkfifo(fifo)
    process = subprocess.Popen(
        [sys.executable, "-m", "automator", "run", str(work / "envs" / "prod" / "web.yaml"),
         "--tags-from", str(fifo), "--every", "1h", "--health-file", str(health)],
        env=automator_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    wait_for(lambda: health_of(health).get("status") == "running", "the first attempt")
    return process, fifo, health


def terminate_and_wait_for_notice(process: subprocess.Popen, notice: str) -> str:
    process.send_signal(signal.SIGTERM)
    readable, _, _ = select.select([process.stderr], [], [], 60)
    assert readable, "no notice after SIGTERM"
    line = process.stderr.readline()
    assert notice in line
    return line


def test_sigterm_before_the_push_abandons_the_attempt_and_exits_0(tmp_path, env_repo):
    before = git("rev-parse", "main", cwd=tmp_path / "remote.git")
    process, fifo, health = start_blocked_run(tmp_path, env_repo)  # still reading its tags
    try:
        terminate_and_wait_for_notice(process, "SIGTERM: abandoning the attempt (nothing was pushed yet)")
        process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 0
    assert (health_of(health)["status"], health_of(health)["attempt"]) == ("stopped", 1)
    assert git("rev-parse", "main", cwd=tmp_path / "remote.git") == before
    assert git("status", "--porcelain", cwd=env_repo) == ""


def start_run_waiting_at_its_push(tmp_path: Path, work: Path) -> tuple[subprocess.Popen, Path, Path]:
    """A looping run stopped at its push (the writer's ``before-push`` test point)."""
    (tmp_path / "tags.json").write_text(json.dumps(TAGS))
    wait, health = tmp_path / "go", tmp_path / "health.json"
    env = {**automator_env(tmp_path), "AUTOMATOR_TEST_WAIT_AT": "before-push", "AUTOMATOR_TEST_WAIT_FILE": str(wait)}
    process = subprocess.Popen(
        [sys.executable, "-m", "automator", "run", str(work / "envs" / "prod" / "web.yaml"),
         "--tags-from", str(tmp_path / "tags.json"), "--every", "1h", "--health-file", str(health)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    wait_for(lambda: Path(str(wait) + ".reached").exists(), "the push")
    return process, wait, health


def test_sigterm_during_the_push_lets_it_finish_then_exits_0(tmp_path, env_repo):
    process, wait, health = start_run_waiting_at_its_push(tmp_path, env_repo)
    try:
        terminate_and_wait_for_notice(process, "SIGTERM: finishing the push in flight")
        wait.touch()  # the push goes on
        process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 0
    assert (health_of(health)["status"], health_of(health)["attempt"]) == ("stopped", 1)
    assert "ghcr.io/acme/web:1.3.0" in git("show", "main:envs/prod/web.yaml", cwd=tmp_path / "remote.git")


def test_a_second_sigterm_during_the_push_abandons_it_with_130_and_a_clean_checkout(tmp_path, env_repo):
    before = git("rev-parse", "main", cwd=tmp_path / "remote.git")
    process, _, health = start_run_waiting_at_its_push(tmp_path, env_repo)
    try:
        terminate_and_wait_for_notice(process, "SIGTERM: finishing the push in flight")
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130
    assert "automator run: interrupted" in err
    assert health_of(health)["status"] == "abandoned"
    assert git("rev-parse", "main", cwd=tmp_path / "remote.git") == before
    assert git("status", "--porcelain", cwd=env_repo) == ""
