"""The Action run step by step as a runner runs it: INPUT_* from `with:`, GITHUB_OUTPUT,
GITHUB_ENV and GITHUB_STEP_SUMMARY files, the cache steps, a real env repo and bare remote."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from action_runner import ROOT, run_action
from test_delivery_e2e import automator_env, git, make_env_repo

from automator.ci import cache_keys

TOKEN = "ghs_0123456789abcdefghijABCDEFGHIJ"


@pytest.fixture
def env_repo(tmp_path):
    return make_env_repo(tmp_path)


def run(tmp_path, work, **inputs):
    temp = tmp_path / "runner-temp"
    temp.mkdir(exist_ok=True)
    given = {"tags-file": str(tmp_path / "tags.json"), "token": TOKEN, **inputs}
    return run_action(given, workspace=work, temp=temp, env=automator_env(tmp_path))


def summary(tmp_path) -> str:
    return (tmp_path / "runner-temp" / "step-summary.md").read_text()


def annotations(result) -> list[str]:
    return [line for line in result.stdout.splitlines() if line.startswith("::") and not line.startswith("::add-mask::")]


def test_commit_mode_pushes_links_each_file_at_the_commit_and_folds_what_stayed(tmp_path, env_repo):
    result = run(tmp_path, env_repo, path="envs")
    assert result.exit_code == 1, result.stderr  # redis is not in the tags file: a problem
    pushed = git("rev-parse", "main", cwd=tmp_path / "remote.git")
    outputs = result.outputs
    assert (outputs["updated"], outputs["problems"], outputs["commit"], outputs["dry-run"]) == ("1", "1", pushed, "false")
    assert result.outcomes["venv"] == "success" and result.outcomes["step2"] == "skipped"  # cached venv: no install
    text = summary(tmp_path)
    assert f"[`envs/prod/web.yaml:12`](https://github.example/acme/env/blob/{pushed}/envs/prod/web.yaml#L12)" in text
    assert f"Commit: [`{pushed[:12]}`](https://github.example/acme/env/commit/{pushed})" in text
    (problem,) = [line for line in text.splitlines() if line.startswith("- **error**")]
    assert problem.count("cache.yaml:12") == 1 and problem.endswith(": not listed in the tags file " + str(tmp_path / "tags.json") + " (add it to the file)")
    assert problem.count("docker.io/library/redis") == 1
    assert "<details><summary>1 image stayed</summary>" in text
    assert "| `docker.io/library/redis` | `7.0.0` | not checked: see the problems above |" in text
    assert TOKEN not in result.stdout.replace(f"::add-mask::{TOKEN}", "") + result.stderr + text


def test_fail_on_problems_false_turns_problems_into_warnings_and_passes(tmp_path, env_repo):
    result = run(tmp_path, env_repo, path="envs", **{"fail-on-problems": "false"})
    assert result.exit_code == 0, result.stderr
    lines = annotations(result)
    assert lines[0].startswith("::warning file=envs/prod/cache.yaml,line=12,")
    assert not [line for line in lines if line.startswith("::error")]
    assert "Reported as warnings (`fail-on-problems: false`)." in summary(tmp_path)
    assert result.outputs["problems"] == "1"


def test_usage_errors_are_annotated_by_input_name_and_nothing_runs(tmp_path, env_repo):
    before = git("rev-parse", "main", cwd=tmp_path / "remote.git")
    result = run(tmp_path, env_repo, path="nope", **{"pr-per": "images"})
    assert result.exit_code == 2
    assert annotations(result) == [
        f"::error title=input path::input path 'nope' does not exist in the workspace {env_repo}; "
        "name a directory or file of the checkout",
        "::error title=input pr-per::input pr-per must be run or image, not 'images' (did you mean image?)",
    ]
    assert "usage:" not in result.stdout + result.stderr and "--pr-per" not in result.stdout + result.stderr
    text = summary(tmp_path)
    assert "### Deployment Automator: inputs to fix" in text
    assert "| `path` |" in text and "| `pr-per` |" in text
    assert result.outputs["updated"] == "" and result.outcomes["run"] == "failure"
    assert result.outcomes["step6"] == "success"  # the registry cache is still saved
    assert git("rev-parse", "main", cwd=tmp_path / "remote.git") == before


def test_pr_mode_reports_the_pull_request_and_links_its_head(tmp_path):
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
        result = run(tmp_path, env.clone, path="clusters/prod", mode="pr", labels="automated",
                     token=token, **{"forge-url": fake.base})
    finally:
        fake.close()
    assert result.exit_code == 0, result.stdout + result.stderr
    assert fake.unexpected == []
    [pull] = fake.open_pulls()
    outputs = result.outputs
    assert outputs["pr-url"] == f"https://github.example/acme/env/pull/{pull['number']}"
    assert outputs["branch"] == pull["head"] and outputs["commit"]
    text = summary(tmp_path)
    assert f"Pull request: {outputs['pr-url']}" in text
    assert f"/acme/env/blob/{outputs['commit']}/clusters/prod/app.yaml#L" in text


# --- the cache keys -------------------------------------------------------------------------


def keys(tmp_path, **extra):
    environ = {"GITHUB_ACTION_PATH": str(ROOT), "RUNNER_TEMP": str(tmp_path), "RUNNER_OS": "Linux",
               "RUNNER_ARCH": "X64", "ACTION_REF": "v0", "ENV_PATH": "clusters/prod", "GITHUB_RUN_ID": "7", **extra}
    return cache_keys.cache_keys(environ, python="3.12.3 (main)")


def test_the_venv_key_follows_runner_python_ref_and_sources(tmp_path):
    base = keys(tmp_path)["venv-key"]
    assert base.startswith("automator-venv-v1-Linux-X64-py") and "-v0-" in base
    assert keys(tmp_path)["venv-key"] == base
    assert keys(tmp_path, ACTION_REF="v1")["venv-key"] != base
    assert cache_keys.cache_keys({"GITHUB_ACTION_PATH": str(ROOT), "RUNNER_TEMP": str(tmp_path), "RUNNER_OS": "Linux",
                                  "RUNNER_ARCH": "X64", "ACTION_REF": "v0"}, python="3.13.0")["venv-key"] != base


def test_the_venv_key_changes_with_the_lock_file(tmp_path):
    copy = tmp_path / "action"
    (copy / "automator").mkdir(parents=True)
    (copy / "pyproject.toml").write_text("x")
    (copy / "requirements.lock").write_text("a==1\n")
    first = cache_keys.source_digest(copy)
    (copy / "requirements.lock").write_text("a==2\n")
    assert cache_keys.source_digest(copy) != first


def test_the_registry_cache_key_is_new_each_run_and_restored_by_a_prefix_per_path(tmp_path):
    one, two = keys(tmp_path), keys(tmp_path, GITHUB_RUN_ID="8")
    assert one["registry-cache-key"] != two["registry-cache-key"]
    assert one["registry-cache-prefix"] == two["registry-cache-prefix"]
    assert one["registry-cache-key"].startswith(one["registry-cache-prefix"])
    assert keys(tmp_path, ENV_PATH="clusters/staging")["registry-cache-prefix"] != one["registry-cache-prefix"]


def test_each_shard_of_a_fleet_keeps_its_own_registry_cache(tmp_path):
    """The matrix jobs of one run would otherwise save under one key, which only the first may."""
    shards = [keys(tmp_path, ENV_PATH="", ENV_FLEET="fleet.yaml", ENV_SHARD=f"{i}/4") for i in range(4)]
    assert len({k["registry-cache-key"] for k in shards}) == 4
    assert len({k["registry-cache-prefix"] for k in shards}) == 4
    assert keys(tmp_path, ENV_PATH="", ENV_FLEET="other.yaml", ENV_SHARD="0/4")["registry-cache-prefix"] != shards[0]["registry-cache-prefix"]
    assert keys(tmp_path)["registry-cache-prefix"] == keys(tmp_path, ENV_FLEET="", ENV_SHARD="")["registry-cache-prefix"]


def test_the_keys_step_writes_its_outputs_and_creates_the_cache_directory(tmp_path):
    output = tmp_path / "output"
    output.write_text("")
    environ = {"GITHUB_ACTION_PATH": str(ROOT), "RUNNER_TEMP": str(tmp_path), "GITHUB_OUTPUT": str(output)}
    assert cache_keys.main(environ) == 0
    written = dict(line.split("=", 1) for line in output.read_text().splitlines())
    assert set(written) == {"venv-path", "venv-key", "registry-cache-path", "registry-cache-key", "registry-cache-prefix"}
    assert (tmp_path / "automator-registry-cache").is_dir()


# --- warm CI: the registry cache the Action keeps between runs -------------------------------


@pytest.mark.slow
@pytest.mark.registry
def test_a_second_run_within_the_cache_ttl_asks_the_registry_for_no_tag_list(tmp_path, local_registry):
    from registry_proxy import RegistryProxy

    local_registry.push("delivery/warm", "1.0.0")
    local_registry.push("delivery/warm", "1.1.0")
    with RegistryProxy(local_registry.url) as proxy:
        work = tmp_path / "work"
        (work / "envs").mkdir(parents=True)
        git("init", "-q", "-b", "main", str(work), cwd=tmp_path)
        (work / "envs" / "app.yaml").write_text(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\n"
            "  annotations:\n    automator.dev/policy: semver:^1\nspec:\n  template:\n    spec:\n"
            f"      containers:\n        - name: app\n          image: {proxy.host}/delivery/warm:1.0.0\n")
        git("add", "-A", cwd=work)  # a dry run, as the run, refuses uncommitted changes in its path
        git("-c", "user.name=T", "-c", "user.email=t@example.invalid", "commit", "-q", "-m", "env", cwd=work)
        given = {"path": "envs", "dry-run": "true", "insecure-registries": proxy.host}
        temp = tmp_path / "runner-temp"
        temp.mkdir()
        first = run_action(given, workspace=work, temp=temp, env=automator_env(tmp_path))
        assert first.exit_code == 0, first.stdout + first.stderr
        assert first.outputs["updated"] == "1" and proxy.count(r"/tags/list") == 1
        cache = Path(first.steps["keys"]["registry-cache-path"])
        assert any(cache.rglob("*.json")), "the run left its registry cache where the save step looks"
        (temp / "automator-venv").unlink()  # the next job restores the venv again
        second = run_action(given, workspace=work, temp=temp, env=automator_env(tmp_path))
        assert second.exit_code == 0, second.stdout + second.stderr
        assert second.outputs["updated"] == "1"
        assert proxy.count(r"/tags/list") == 1  # served from the restored cache
        cold = tmp_path / "cold-runner-temp"
        cold.mkdir()
        third = run_action(given, workspace=work, temp=cold, env=automator_env(tmp_path))
        assert third.exit_code == 0 and proxy.count(r"/tags/list") == 2  # no cache restored: asks again
