"""What ``automator update`` reports: only the files it wrote count as updated; a file it could
not write (or, with --dry-run, could not patch) is a problem in every report and in the exit code."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

import automator.run
from automator.cli import main
from automator.errors import AutomatorError

APP = "registry.example/team/app"


def workload(name: str) -> str:
    return (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n"
        f"  name: {name}\n  annotations:\n    automator.dev/policy: \"semver:~1.0\"\n"
        "spec:\n  template:\n    spec:\n      containers:\n"
        f"        - name: {name}\n          image: {APP}:1.0.0\n"
    )


@pytest.fixture
def env(tmp_path: Path, monkeypatch) -> Path:
    """Two workloads (api.yaml, web.yaml) whose image can move to 1.0.7; GitHub Actions files."""
    (tmp_path / "env").mkdir()
    for name in ("api", "web"):
        (tmp_path / "env" / f"{name}.yaml").write_text(workload(name))
    (tmp_path / "tags.json").write_text(f'{{"{APP}": ["1.0.0", "1.0.7"]}}')
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_OUTPUT", str(tmp_path / "github-output"))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    return tmp_path


def read_only(name: str, monkeypatch) -> None:
    """Make writing the file ``name`` fail as on a read-only file system."""
    real = automator.run.write_atomically

    def writing(path, text, before_write=None):
        if Path(path).name == name:
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        real(path, text, before_write)

    monkeypatch.setattr(automator.run, "write_atomically", writing)


def unpatchable(name: str, monkeypatch) -> None:
    """Make patching the file ``name`` fail (as when it changed since it was planned)."""
    real = automator.run.patch_text

    def patching(file, text, updates, locators):
        if file == name:
            raise AutomatorError("the planned value is no longer there")
        return real(file, text, updates, locators)

    monkeypatch.setattr(automator.run, "patch_text", patching)


def update(env: Path, capsys, *extra: str) -> tuple[int, str, str]:
    code = main(["update", str(env / "env"), "--tags-from", str(env / "tags.json"),
                 "--dotenv", str(env / "automator.env"), *extra])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_file_that_cannot_be_written_is_a_problem_not_an_update_in_every_report(env, monkeypatch, capsys):
    read_only("web.yaml", monkeypatch)

    code, out, err = update(env, capsys, "--markdown", str(env / "plan.md"))

    assert code == 1
    assert "web.yaml: cannot write (Read-only file system); file left unchanged" in err
    dotenv = (env / "automator.env").read_text()
    assert "AUTOMATOR_UPDATED=1\n" in dotenv and "AUTOMATOR_PROBLEMS=1\n" in dotenv
    assert "web.yaml" not in dotenv.split("AUTOMATOR_UPDATES=")[1].splitlines()[0]
    markdown = (env / "plan.md").read_text()
    assert "`api.yaml:12`" in markdown and "`web.yaml:12`" not in markdown
    assert "- **error** `web.yaml`: cannot write (Read-only file system); file left unchanged" in markdown
    annotations = [line for line in out.splitlines() if line.startswith("::") and not line.startswith("::add-mask::")]  # masks: of earlier tests' secrets
    assert [line.split("::")[1].split(" ")[0] for line in annotations] == ["error", "notice"]
    assert "file=web.yaml" in annotations[0] and "file=api.yaml" in annotations[1]
    outputs = (env / "github-output").read_text()
    assert "updated<<" in outputs and outputs.split("updated<<")[1].splitlines()[1] == "1"


def test_a_dry_run_does_not_report_a_file_it_could_not_patch_as_an_update(env, monkeypatch, capsys):
    unpatchable("web.yaml", monkeypatch)

    code, out, err = update(env, capsys, "--dry-run")

    assert code == 1
    assert "web.yaml: the planned value is no longer there; file left unchanged" in err
    assert "+++ b/api.yaml" in out and "+++ b/web.yaml" not in out
    dotenv = (env / "automator.env").read_text()
    assert "AUTOMATOR_UPDATED=1\n" in dotenv and "AUTOMATOR_PROBLEMS=1\n" in dotenv


def test_under_github_actions_the_dry_run_diff_is_alone_on_stdout_and_annotations_go_to_stderr(env, capsys):
    code, out, err = update(env, capsys, "--dry-run")

    assert code == 0
    assert out.startswith("--- a/api.yaml\n") and "::" not in out
    assert "::notice file=api.yaml,line=12" in err
