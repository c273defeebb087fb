"""--registry-timeout and --max-tags as a user meets them: a scan with one silent registry."""

from __future__ import annotations

import base64
import json
import time

import pytest
from git_helpers import run_automator
from registry_proxy import RegistryProxy

DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  annotations:
    fluxcd.io/automated: "true"
    fluxcd.io/tag.app: semver:^1
spec:
  template:
    spec:
      containers:
      - name: app
        image: {image}:1.0.0
"""
PASSWORD = "cli-secret-pw-77"


@pytest.fixture(scope="module")
def pushed(local_registry):
    for tag in ("1.0.0", "1.2.0"):
        local_registry.push("cli/healthy", tag, created="2024-01-01T00:00:00Z")
    local_registry.push("cli/late", "1.0.0", created="2024-01-01T00:00:00Z")
    return local_registry


def _env_repo(tmp_path, silent: RegistryProxy, healthy: RegistryProxy) -> dict[str, str]:
    env = tmp_path / "env"
    env.mkdir()
    (env / "late.yaml").write_text(DEPLOY.format(name="late", image=f"{silent.host}/cli/late"))
    (env / "healthy.yaml").write_text(DEPLOY.format(name="healthy", image=f"{healthy.host}/cli/healthy"))
    config = tmp_path / "docker"
    config.mkdir()
    auth = base64.b64encode(f"someone:{PASSWORD}".encode()).decode()
    (config / "config.json").write_text(json.dumps({"auths": {silent.host: {"auth": auth}}}))
    return {"DOCKER_CONFIG": str(config), "HOME": str(tmp_path)}


@pytest.mark.slow
def test_scan_reports_the_healthy_registry_and_names_the_late_one_within_the_deadline(pushed, tmp_path):
    with RegistryProxy(pushed.url) as silent, RegistryProxy(pushed.url) as healthy:
        silent.add_fault(r"/tags/list", silent=True, times=100)
        env = _env_repo(tmp_path, silent, healthy)
        started = time.monotonic()
        done = run_automator(["scan", "env", "--json", "--no-cache", "--registry-timeout", "1"], cwd=tmp_path, env=env)
        ratio = (time.monotonic() - started) / 1.0
    assert done.returncode == 1, done.stderr
    document = json.loads(done.stdout)
    assert [(u["image"], u["to"]) for u in document["updates"]] == [(f"{healthy.host}/cli/healthy", "1.2.0")]
    (problem,) = [p["message"] for p in document["errors"]]
    assert f"no complete answer from {silent.host} within the 1 s deadline" in problem
    assert ratio < 8, f"took {ratio:.1f} x the deadline"  # 3 x the deadline, plus the start of Python
    output = done.stdout + done.stderr
    assert PASSWORD not in output and base64.b64encode(f"someone:{PASSWORD}".encode()).decode() not in output


@pytest.mark.slow
def test_the_deadline_comes_from_the_environment_in_gitlab_ci(pushed, tmp_path):
    with RegistryProxy(pushed.url) as silent, RegistryProxy(pushed.url) as healthy:
        silent.add_fault(r"/tags/list", silent=True, times=100)
        env = {**_env_repo(tmp_path, silent, healthy), "AUTOMATOR_REGISTRY_TIMEOUT": "1"}
        done = run_automator(["scan", "env", "--no-cache"], cwd=tmp_path, env=env)
    assert done.returncode == 1
    assert "within the 1 s deadline" in done.stderr
    assert f"{healthy.host}/cli/healthy" in done.stdout


@pytest.mark.parametrize(
    ("args", "environ", "message"),
    [
        (["--registry-timeout", "nan"], {}, "--registry-timeout must be a positive number of seconds up to 86400 (one day), not 'nan'"),
        (["--registry-timeout", "inf"], {}, "--registry-timeout must be a positive number of seconds"),
        (["--registry-timeout", "0"], {}, "--registry-timeout must be a positive number of seconds"),
        ([], {"AUTOMATOR_REGISTRY_TIMEOUT": "soon"}, "AUTOMATOR_REGISTRY_TIMEOUT must be a positive number"),
        (["--registry-timeout", "1e10"], {}, "--registry-timeout must be a positive number of seconds up to 86400"),  # past any thread's wait
        ([], {"AUTOMATOR_REGISTRY_TIMEOUT": "86401"}, "AUTOMATOR_REGISTRY_TIMEOUT must be"),  # more than a day
        (["--max-tags", "0"], {}, "--max-tags must be a whole number of at least 1"),
        (["--max-tags", "lots"], {}, "--max-tags must be a whole number of at least 1"),
    ],
)
def test_bad_deadlines_and_tag_caps_are_usage_errors(tmp_path, args, environ, message):
    (tmp_path / "env").mkdir()
    done = run_automator(["scan", "env", *args], cwd=tmp_path, env={"HOME": str(tmp_path), **environ})
    assert done.returncode == 2
    assert message in done.stderr


def test_help_names_both_options():
    done = run_automator(["scan", "--help"], cwd=".")
    assert "--registry-timeout SECONDS" in done.stdout and "--max-tags N" in done.stdout
    assert "AUTOMATOR_REGISTRY_TIMEOUT" in done.stdout


def test_the_lazily_opened_registries_get_the_planning_progress():
    from automator.tagsource import LazyTagSource

    class Registries:
        progress = None

        def list_tags(self, repositories):
            self.progress("listing tags: 1/1 repositories, 1 registry")
            return {}

    seen: list[str] = []
    lazy = LazyTagSource(Registries)
    lazy.progress = seen.append  # what make_plan does before listing
    lazy.list_tags(["r.example/app"])
    assert seen == ["listing tags: 1/1 repositories, 1 registry"]


def test_a_registry_timeout_beyond_one_day_is_refused_where_the_settings_are_built():
    from automator.errors import ConfigError
    from automator.registry import RegistrySettings

    with pytest.raises(ConfigError, match="--registry-timeout must be a positive number of seconds up to 86400"):
        RegistrySettings(timeout=1e10)
    assert RegistrySettings(timeout=86_400).timeout == 86_400
