"""Event-driven runs as a user runs them: ``--pushed`` and ``--event`` on scan, update and run,
with a registry address that refuses connections (so any request would fail the run) and a
real git checkout with a bare remote."""

from __future__ import annotations

import json

import pytest
from git_helpers import clone, git, isolated_git, make_remote, run_automator, show  # noqa: F401

from automator.events.payloads import MAX_EVENT_BYTES

DEAD = "127.0.0.1:9"  # the discard port: nothing listens, a connection is refused at once


def deployment(name: str, image: str, policy: str) -> str:
    return (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n"
        f"  name: {name}\n  annotations:\n    automator.dev/policy: {policy}\n"
        "spec:\n  template:\n    spec:\n      containers:\n"
        f"        - name: {name}\n          image: {image}\n"
    )


FILES = {
    "apps/web.yaml": deployment("web", f"{DEAD}/acme/web:1.2.0", "semver:^1"),
    "apps/edge.yaml": deployment("edge", f"{DEAD}/acme/web:1.5.0", "semver:>=1.0.0"),
    "apps/api.yaml": deployment("api", f"{DEAD}/acme/api:3.0.0", "semver:^3"),
    "apps/batch.yaml": deployment("batch", f"{DEAD}/acme/batch:2024-01-01", "alphabetical:asc"),
}


@pytest.fixture
def checkout(tmp_path):
    bare = make_remote(tmp_path, FILES)
    return bare, clone(bare, tmp_path / "work")


def test_scan_with_a_pushed_tag_lists_nothing_and_moves_only_that_repository(checkout):
    _, work = checkout
    done = run_automator(["scan", "apps", "--no-cache", "--json", "--pushed", f"{DEAD}/acme/web:1.4.2"], cwd=work)
    assert done.returncode == 0, done.stderr
    updates = json.loads(done.stdout)["updates"]
    # web (^1, at 1.2.0) takes 1.4.2; edge is at 1.5.0 and never moves back; api is not about this push
    assert [(u["container"], u["from"], u["to"]) for u in updates] == [("web", "1.2.0", "1.4.2")]


def test_run_commits_and_pushes_the_pushed_tag_without_any_registry_request(checkout):
    bare, work = checkout
    done = run_automator(["run", "apps", "--no-cache", "--pushed", f"{DEAD}/acme/api:3.1.0"], cwd=work)
    assert done.returncode == 0, done.stderr
    assert f"image: {DEAD}/acme/api:3.1.0" in show(bare, "apps/api.yaml")
    assert show(bare, "apps/web.yaml") == FILES["apps/web.yaml"].rstrip("\n")
    assert "committed" in done.stdout


def test_a_policy_without_build_times_moves_by_the_event_alone(checkout):
    _, work = checkout
    done = run_automator(["scan", "apps", "--no-cache", "--pushed", f"{DEAD}/acme/batch:2024-02-01"], cwd=work)
    assert done.returncode == 0, done.stderr
    assert "2024-02-01" in done.stdout


@pytest.mark.registry
def test_a_build_time_policy_reads_two_tags_metadata_and_lists_nothing(local_registry, tmp_path):
    from registry_proxy import RegistryProxy

    local_registry.push("events/batch", "a-old", created="2026-01-01T00:00:00Z")
    local_registry.push("events/batch", "b-new", created="2026-03-01T00:00:00Z")
    for i in range(5):  # tags a full run would have to consider
        local_registry.push("events/batch", f"z-{i}", created="2025-01-01T00:00:00Z")
    with RegistryProxy(local_registry.url) as proxy:
        host = proxy.url.split("://", 1)[1]
        files = {"apps/batch.yaml": deployment("batch", f"{host}/events/batch:a-old", "glob:*")}
        work = clone(make_remote(tmp_path, files), tmp_path / "work")
        done = run_automator(["scan", "apps", "--no-cache", "--json", "--pushed", f"{host}/events/batch:b-new"], cwd=work)
        assert done.returncode == 0, done.stderr
        assert [(u["from"], u["to"]) for u in json.loads(done.stdout)["updates"]] == [("a-old", "b-new")]
        assert proxy.count(r"/tags/list") == 0
        assert proxy.count(r"/manifests/a-old") >= 1 and proxy.count(r"/manifests/b-new") >= 1
        assert proxy.count(r"/manifests/z-") == 0  # no other tag's metadata was read


def test_an_event_file_from_the_registry_drives_update(checkout, tmp_path):
    _, work = checkout
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"events": [{
        "action": "push",
        "target": {"repository": "acme/web", "tag": "1.3.0", "digest": "sha256:" + "1" * 64},
        "request": {"host": DEAD},
    }]}))
    done = run_automator(["update", "apps", "--no-cache", "--event", str(event)], cwd=work)
    assert done.returncode == 0, done.stderr
    assert f"image: {DEAD}/acme/web:1.3.0" in (work / "apps/web.yaml").read_text()
    assert f"image: {DEAD}/acme/web:1.5.0" in (work / "apps/edge.yaml").read_text()


def test_an_event_on_stdin_with_a_named_source(checkout):
    _, work = checkout
    import subprocess

    from git_helpers import ROOT, automator_command

    payload = json.dumps({"client_payload": {"image": f"{DEAD}/acme/api:3.2.0"}})
    done = subprocess.run(
        [*automator_command(), "scan", "apps", "--no-cache", "--event", "-", "--event-source", "generic"],
        cwd=work, input=payload, capture_output=True, text=True, timeout=60, env={**__import__("os").environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr
    assert "3.2.0" in done.stdout


def test_an_event_that_pushed_no_tag_does_nothing(checkout, tmp_path):
    _, work = checkout
    event = tmp_path / "pull.json"
    event.write_text(json.dumps({"events": [{"action": "pull", "target": {"repository": "acme/web", "tag": "1.3.0"}, "request": {"host": DEAD}}]}))
    done = run_automator(["run", "apps", "--no-cache", "--event", str(event)], cwd=work)
    assert done.returncode == 0, done.stderr
    assert git(work, "log", "--oneline").count("\n") == 0  # still the seed commit only


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--pushed", "acme/web"], "names no tag"),
        (["--pushed", "Acme/Web:1"], "lowercase"),
        (["--event", "missing.json"], "--event missing.json: cannot read it"),
        (["--event-source", "harbor"], "--event-source goes with --event FILE"),
    ],
)
def test_bad_event_options_are_exit_2_with_the_reason(checkout, args, message):
    _, work = checkout
    done = run_automator(["scan", "apps", "--no-cache", *args], cwd=work)
    assert done.returncode == 2
    assert message in done.stderr


def test_a_malformed_or_huge_event_file_is_exit_2_naming_what_was_expected(checkout, tmp_path):
    _, work = checkout
    odd = tmp_path / "odd.json"
    odd.write_text('{"hello": "world"}')
    done = run_automator(["scan", "apps", "--no-cache", "--event", str(odd)], cwd=work)
    assert done.returncode == 2 and "not a supported push event; expected a distribution notification" in done.stderr
    huge = tmp_path / "huge.json"
    huge.write_bytes(b'{"image": "' + b"a" * MAX_EVENT_BYTES + b'"}')
    done = run_automator(["scan", "apps", "--no-cache", "--event", str(huge)], cwd=work)
    assert done.returncode == 2 and "larger than" in done.stderr


def test_an_event_run_with_semver_policies_never_loads_the_registry_client(checkout):
    _, work = checkout
    probe = (
        "import sys, runpy\n"
        "sys.argv = ['automator', 'scan', 'apps', '--no-cache', '--pushed', '127.0.0.1:9/acme/web:1.4.2']\n"
        "try:\n    runpy.run_module('automator', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "print('LOADED' if 'automator.registry.client' in sys.modules else 'NOT LOADED', file=sys.stderr)\n"
    )
    import os
    import subprocess
    import sys

    from git_helpers import ROOT

    done = subprocess.run([sys.executable, "-c", probe], cwd=work, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert "1.4.2" in done.stdout
    assert done.stderr.strip().endswith("NOT LOADED")
