"""``run --repo URL --rules FILE``: a relative FILE is a file of the cloned repository, as PATH
is (and as a fleet file's ``rules:`` is); an absolute FILE stays a file of this machine. A
rules file of the clone that cannot be used is named in the repository, not in the temporary
clone that is deleted before anyone reads the message."""

from __future__ import annotations

import pytest
from git_helpers import deployment, isolated_git, make_remote, run_automator, show, write_tags  # noqa: F401

APP = "registry.example/team/app"
PATCH_ONLY = "version: 1\nrules:\n  - max-change: patch\n"  # 1.0.0 may go to 1.0.1, not to 1.2.0


@pytest.fixture
def remote(tmp_path):
    files = {"envs/prod/app.yaml": deployment("app", f"{APP}:1.0.0"), "ci-rules.yaml": PATCH_ONLY,
             "broken-rules.yaml": "version: 1\nrules: [oops\n"}
    return make_remote(tmp_path, files)


@pytest.fixture
def tags(tmp_path):
    return write_tags(tmp_path / "tags.json", {APP: ["1.0.0", "1.0.1", "1.2.0"]})


def test_a_relative_rules_file_is_read_from_the_clone(remote, tags, tmp_path):
    done = run_automator(["run", "envs/prod", "--repo", f"file://{remote}", "--rules", "ci-rules.yaml", "--tags-from", str(tags)],
                         cwd=tmp_path)  # the current directory has no ci-rules.yaml
    assert done.returncode == 0, done.stderr
    assert f"{APP}:1.0.1" in show(remote, "envs/prod/app.yaml")


def test_an_absolute_rules_file_is_read_from_this_machine(remote, tags, tmp_path):
    local = tmp_path / "local-rules.yaml"
    local.write_text("version: 1\nrules:\n  - max-change: minor\n")
    done = run_automator(["run", "envs/prod", "--repo", f"file://{remote}", "--rules", str(local), "--tags-from", str(tags)],
                         cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"{APP}:1.2.0" in show(remote, "envs/prod/app.yaml")


@pytest.mark.parametrize(("rules", "message"), [
    ("broken-rules.yaml", "broken-rules.yaml:3 in file://{remote}: not valid YAML"),
    ("missing.yaml", "missing.yaml in file://{remote}: cannot read rules file: No such file or directory"),
])
def test_a_rules_file_of_the_clone_that_cannot_be_used_is_named_in_the_repository(remote, tags, tmp_path, rules, message):
    done = run_automator(["run", "envs/prod", "--repo", f"file://{remote}", "--rules", rules, "--tags-from", str(tags)],
                         cwd=tmp_path, env={"TMPDIR": str(tmp_path)})
    assert done.returncode == 2
    assert message.format(remote=remote) in done.stderr
    assert "automator-clone" not in done.stderr
    assert f"{APP}:1.0.0" in show(remote, "envs/prod/app.yaml")
