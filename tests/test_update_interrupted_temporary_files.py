"""An interrupted ``automator update`` leaves no temporary file (``.NAME.XXXXXXXX.tmp``) in
the tree, however close to the creation of one the signal arrives: the writer knows the name
before the file exists and removes it, and the rollback removes any that a stopped writer
could not."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import automator.run
from automator.cli import main
from automator.manifest import writefile

APP = "registry.example/team/app"


def workload(name: str) -> str:
    return (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n"
        f"  name: {name}\n  annotations:\n    fluxcd.io/automated: \"true\"\n"
        f"    fluxcd.io/tag.{name}: semver:~1.0\n"
        "spec:\n  template:\n    spec:\n      containers:\n"
        f"        - name: {name}\n          image: {APP}:1.0.0\n"
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


def contents(apps: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in apps.iterdir()}


def is_temporary(path) -> bool:
    return os.fspath(path).endswith(".tmp")


def interrupt_as_the_third_temporary_file_is_created(monkeypatch) -> None:
    """SIGINT arriving while the temporary file is created: Python runs the handler (which
    raises KeyboardInterrupt) as soon as ``os.open`` returns, before its result is used."""
    real_open, created = os.open, []

    def opening(path, flags, mode=0o777, *args, **kwargs):
        fd = real_open(path, flags, mode, *args, **kwargs)
        if is_temporary(path) and flags & os.O_EXCL:
            created.append(path)
            if len(created) == 3:
                raise KeyboardInterrupt
        return fd

    monkeypatch.setattr(writefile.os, "open", opening)


@pytest.mark.parametrize("workers", [False, True], ids=["one process", "forked workers"])
def test_a_signal_as_a_temporary_file_is_created_leaves_no_temporary_file(tree, monkeypatch, workers):
    apps, tags, before = tree
    if workers:
        monkeypatch.setattr(automator.run, "POOL_MIN_FILES", 2)  # each worker is interrupted at its third file
    interrupt_as_the_third_temporary_file_is_created(monkeypatch)

    assert main(["update", str(apps), "--tags-from", str(tags)]) == 130

    assert contents(apps) == before  # no .appN.yaml.XXXXXXXX.tmp beside the files put back


def test_a_temporary_file_a_stopped_writer_could_not_remove_is_removed_by_the_rollback(tree, monkeypatch):
    """A second signal during the writer's own clean-up stops it before it removes its file."""
    apps, tags, before = tree
    interrupt_as_the_third_temporary_file_is_created(monkeypatch)
    real_unlink, refused = os.unlink, []

    def unlinking(path, *args, **kwargs):
        if is_temporary(path) and not refused:
            refused.append(path)
            raise KeyboardInterrupt  # the second signal
        return real_unlink(path, *args, **kwargs)

    monkeypatch.setattr(writefile.os, "unlink", unlinking)

    assert main(["update", str(apps), "--tags-from", str(tags)]) == 130

    assert refused  # the writer was stopped before it removed its temporary file
    assert contents(apps) == before


def test_a_temporary_file_older_than_the_update_is_not_its_own_and_stays(tree, monkeypatch):
    apps, tags, before = tree
    stranger = apps / ".app0.yaml.0badf00d.tmp"
    stranger.write_text("someone else's")
    os.utime(stranger, (0, 0))
    interrupt_as_the_third_temporary_file_is_created(monkeypatch)

    assert main(["update", str(apps), "--tags-from", str(tags)]) == 130

    assert contents(apps) == {**before, stranger.name: b"someone else's"}
