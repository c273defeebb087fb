"""A run loads only the libraries it uses: the start-up of a short command stays short.

Each command runs in a fresh interpreter through the ``automator`` entry point; the modules
loaded by the time the interpreter exits are read from ``sys.modules``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HEAVY = ("ruamel", "git", "github", "gitlab", "requests", "urllib3", "multiprocessing", "concurrent")

RUN = """
import atexit, json, sys
atexit.register(lambda: print(json.dumps(sorted(sys.modules)), file=sys.stderr))
from automator.entry import main
raise SystemExit(main(sys.argv[1:]))
"""

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
  annotations:
    fluxcd.io/automated: "true"
    fluxcd.io/tag.app: semver:^1
spec:
  template:
    spec:
      containers:
      - name: app
        image: ghcr.io/acme/app:1.0.0
"""


def modules_loaded_by(*args: str, stdin: str = "") -> tuple[set[str], str]:
    """The modules loaded by ``automator ARGS``, and its output."""
    done = subprocess.run([sys.executable, "-c", RUN, *args], input=stdin, capture_output=True, text=True, timeout=60)
    modules = json.loads(done.stderr.strip().splitlines()[-1])
    assert done.returncode == 0, done.stderr
    return set(modules), done.stdout


def loaded_by(*args: str, stdin: str = "") -> tuple[set[str], str]:
    """The top-level packages loaded by ``automator ARGS``, and its output."""
    modules, out = modules_loaded_by(*args, stdin=stdin)
    return {name.split(".")[0] for name in modules}, out


def heavy(packages: set[str]) -> list[str]:
    return sorted(packages & set(HEAVY))


def test_version_loads_nothing_but_the_version() -> None:
    packages, out = loaded_by("--version")
    assert out.startswith("automator ")
    assert "automator" in packages and "argparse" not in packages and heavy(packages) == []


def test_select_loads_no_yaml_git_forge_http_or_process_pool_library() -> None:
    packages, out = loaded_by("select", "semver:^1", "1.0.0", "1.2.0", "2.0.0")
    assert out.strip() == "1.2.0"
    assert heavy(packages) == [] and "yaml" not in packages


# What an error path needs (suggestions, tracebacks) is loaded when the error happens; argparse's
# help formatter reads the terminal width without shutil (and its compression modules); the
# values select builds are hand-written frozen classes (no dataclasses, inspect or typing);
# select logs nothing (no logging, threading); only the kinds used are loaded (no decimal), and
# datetime only for a build-time column.
ONLY_WHEN_NEEDED = (
    "difflib", "traceback", "shutil", "bz2", "lzma", "dataclasses", "inspect", "typing", "logging", "threading",
    "datetime", "decimal",
)
# Everything of the package that `automator select semver:...` loads.
SELECT_PATH = {
    "automator", "automator.entry", "automator.cli", "automator.context", "automator.errors", "automator.frozen",
    "automator.log", "automator.settings", "automator.tags", "automator.commands", "automator.commands.options",
    "automator.commands.options.logging", "automator.commands.select", "automator.policy", "automator.policy.base",
    "automator.policy.constraint", "automator.policy.constraint_scan", "automator.policy.exclusion",
    "automator.policy.factory", "automator.policy.pattern", "automator.policy.semver", "automator.policy.version",
    "automator.plugins",
}


def test_select_loads_no_module_that_only_an_error_or_other_command_needs() -> None:
    modules, out = modules_loaded_by("select", "semver:^1", "1.0.0", "1.2.0")
    assert out.strip() == "1.2.0"
    assert sorted(modules & set(ONLY_WHEN_NEEDED)) == []
    assert {name for name in modules if name.split(".")[0] == "automator"} == SELECT_PATH


def test_select_without_the_editable_installs_finder_loads_no_path_library() -> None:
    """Without ``site`` (and the editable install's finder, which loads pathlib and more into
    every interpreter of this environment) what select itself loads is seen, as a wheel has it."""
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-S", "-c", RUN, "select", "semver:^1", "1.0.0", "1.2.0"],
        capture_output=True, text=True, timeout=60, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1.2.0"
    modules = set(json.loads(done.stderr.strip().splitlines()[-1]))
    assert sorted(modules & {"pathlib", "urllib", "ipaddress", *ONLY_WHEN_NEEDED}) == []
    assert {name for name in modules if name.split(".")[0] == "automator"} == SELECT_PATH


def test_select_with_build_times_on_stdin_loads_datetime_for_them() -> None:
    modules, out = modules_loaded_by("select", "glob:main-*", stdin="main-a 2024-05-02T00:00:00Z\nmain-b 2024-05-01T00:00:00Z\n")
    assert out.strip() == "main-a"
    assert "datetime" in modules and "automator.policy.buildtime" in modules


def test_an_offline_scan_of_a_small_tree_without_rules_loads_no_rules_reader_http_or_pool(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text(DEPLOYMENT)
    tags = tmp_path / "tags.json"
    tags.write_text(json.dumps({"ghcr.io/acme/app": ["1.0.0", "1.1.0"]}))
    packages, out = loaded_by("scan", str(tmp_path), "--tags-from", str(tags))
    assert "1.0.0 -> 1.1.0" in out
    assert heavy(packages) == []  # no rules file: no ruamel; --tags-from: no requests; small: no pool
    assert "yaml" in packages  # the manifests themselves are read with PyYAML's libyaml


# The pull-request machinery: the strategy, the verb that keeps one request per change set,
# the request body and the forge clients. A run that commits needs none of it.
PULL_REQUEST_MODULES = (
    "automator.writeback.pull_requests", "automator.forge.ensure", "automator.forge.base",
    "automator.forge.body", "automator.forge.github", "automator.forge.gitlab",
)


def test_a_run_that_commits_loads_no_pull_request_machinery(tmp_path: Path) -> None:
    checkout = tmp_path / "env"
    checkout.mkdir()
    (checkout / "app.yaml").write_text(DEPLOYMENT)
    git = ["git", "-C", str(checkout), "-c", "user.name=Test", "-c", "user.email=test@example.com"]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "seed"], check=True)
    tags = tmp_path / "tags.json"
    tags.write_text(json.dumps({"ghcr.io/acme/app": ["1.0.0", "1.1.0"]}))
    modules, out = modules_loaded_by("run", str(checkout), "--tags-from", str(tags), "--no-push")
    assert "committed" in out and "automator.writeback.commit" in modules
    assert sorted(modules & set(PULL_REQUEST_MODULES)) == []
    assert "github" not in {name.split(".")[0] for name in modules}
