"""An interrupted ``automator update`` (SIGINT, SIGTERM) writes nothing: the files it already
wrote get their bytes back, exit 130. A file changed meanwhile by someone else is left as it
is, and named."""

from __future__ import annotations

from pathlib import Path

import pytest

import automator.run
from automator.cli import main

APP = "registry.example/team/app"


def workload(name: str) -> str:
    return (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n"
        f"  name: {name}\n  annotations:\n    fluxcd.io/automated: \"true\"\n"
        f"    fluxcd.io/tag.{name}: semver:~1.0\n"
        "spec:\n  template:\n    spec:\n      containers:\n"
        f"        - name: {name}\n          image: {APP}:1.0.0  # pinned by the platform team\n"
    )


@pytest.fixture
def tree(tmp_path: Path) -> tuple[Path, Path, dict[str, bytes]]:
    apps = tmp_path / "env" / "apps"
    apps.mkdir(parents=True)
    for number in range(6):
        (apps / f"app{number}.yaml").write_text(workload(f"app{number}"))
    tags = tmp_path / "tags.json"
    tags.write_text(f'{{"{APP}": ["1.0.0", "1.0.7"]}}')
    return apps, tags, {path.name: path.read_bytes() for path in apps.iterdir()}


def interrupt_after(count: int, monkeypatch, meanwhile=lambda: None) -> list[Path]:
    """Make the update's writer raise KeyboardInterrupt (as SIGINT/SIGTERM do) once it wrote
    ``count`` files, after ``meanwhile()``; the files written, in order."""
    written: list[Path] = []
    real = automator.run.write_atomically

    def writing(path, text, before_write=None):
        if len(written) == count:
            meanwhile()
            raise KeyboardInterrupt
        real(path, text, before_write)
        written.append(Path(path))

    monkeypatch.setattr(automator.run, "write_atomically", writing)
    return written


def contents(apps: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in apps.iterdir()}


def test_an_interrupted_update_puts_every_written_file_back_and_exits_130(tree, monkeypatch, capsys):
    apps, tags, before = tree
    written = interrupt_after(4, monkeypatch)

    assert main(["update", str(apps), "--tags-from", str(tags)]) == 130

    assert len(written) == 4  # four files were rewritten before the interrupt
    assert contents(apps) == before
    assert "automator update: interrupted" in capsys.readouterr().err


def test_a_file_changed_by_someone_else_meanwhile_is_left_as_it_is_and_named(tree, monkeypatch, capsys):
    apps, tags, before = tree
    edited = workload("app0").replace("pinned", "edited by hand")
    written = interrupt_after(3, monkeypatch, meanwhile=lambda: (apps / "app0.yaml").write_text(edited))

    assert main(["update", str(apps), "--tags-from", str(tags)]) == 130

    assert (apps / "app0.yaml").read_text() == edited
    assert {name: data for name, data in contents(apps).items() if name != "app0.yaml"} == {
        name: data for name, data in before.items() if name != "app0.yaml"}
    assert len(written) == 3
    err = capsys.readouterr().err
    assert "not restored: app0.yaml: changed by something else since the update wrote it" in err



def test_files_written_by_worker_processes_are_put_back_too(tree, monkeypatch):
    apps, tags, before = tree
    monkeypatch.setattr(automator.run, "POOL_MIN_FILES", 2)  # forked workers write the files (on several cores)
    interrupt_after(2, monkeypatch)  # in each worker

    assert main(["update", str(apps), "--tags-from", str(tags)]) == 130

    assert contents(apps) == before
