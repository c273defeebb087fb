"""``automator update`` changes a manifest's bytes, not what the file is: its owner, group and
mode stay, every hard link to it shows the new bytes, and a link that leads to something other
than a regular file (a device, a FIFO, a directory) is refused and left as it is."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest

import automator.run
from automator.cli import main
from automator.manifest import writefile

APP = "registry.example/team/app"


def workload(tag: str) -> str:
    return (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  annotations:\n"
        "    fluxcd.io/automated: \"true\"\n    fluxcd.io/tag.web: semver:~1.0\n"
        "spec:\n  template:\n    spec:\n      containers:\n"
        f"        - name: web\n          image: {APP}:{tag}\n"
    )


@pytest.fixture
def env(tmp_path: Path) -> Path:
    (tmp_path / "apps").mkdir()
    (tmp_path / "apps" / "web.yaml").write_text(workload("1.0.0"))
    (tmp_path / "tags.json").write_text(f'{{"{APP}": ["1.0.0", "1.0.7"]}}')
    return tmp_path


def update(env: Path) -> int:
    return main(["update", str(env / "apps"), "--tags-from", str(env / "tags.json")])


@pytest.mark.skipif(os.geteuid() != 0, reason="only root may give a file to another user")
def test_a_patched_file_keeps_its_owner_group_and_mode(env: Path) -> None:
    web = env / "apps" / "web.yaml"
    os.chown(web, 1234, 5678)
    os.chmod(web, 0o640)

    assert update(env) == 0

    status = web.stat()
    assert web.read_text() == workload("1.0.7")
    assert (status.st_uid, status.st_gid, stat.S_IMODE(status.st_mode)) == (1234, 5678, 0o640)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root may give a file to another user")
def test_a_user_who_may_not_keep_the_owner_still_keeps_the_group(env: Path, monkeypatch) -> None:
    """Only root may give a file to another user: the file is still written, with its group."""
    web = env / "apps" / "web.yaml"
    os.chown(web, 1234, 5678)
    calls: list[tuple[int, int]] = []

    def fchown(fd: int, uid: int, gid: int) -> None:
        calls.append((uid, gid))
        if uid != -1:
            raise PermissionError(1, "Operation not permitted")
        os.chown(fd, uid, gid)

    monkeypatch.setattr(writefile.os, "fchown", fchown)

    assert update(env) == 0

    assert web.read_text() == workload("1.0.7")
    assert calls == [(1234, 5678), (-1, 5678)]
    assert web.stat().st_gid == 5678


@pytest.mark.skipif(os.geteuid() != 0, reason="only root may give a file to another user")
@pytest.mark.parametrize("code", [errno.EINVAL, errno.EOPNOTSUPP], ids=["unmapped id", "no owners"])
def test_an_owner_the_kernel_will_not_set_leaves_the_file_written_all_the_same(env: Path, monkeypatch, code) -> None:
    """In a user namespace (a rootless container) an owner outside its map is EINVAL; some file
    systems have no owners at all: the update is written, as the user's file."""
    web = env / "apps" / "web.yaml"
    os.chown(web, 1234, 5678)

    def fchown(fd: int, uid: int, gid: int) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(writefile.os, "fchown", fchown)

    assert update(env) == 0
    assert web.read_text() == workload("1.0.7")


def test_a_file_of_the_users_own_asks_nothing_of_the_kernel(env: Path, monkeypatch) -> None:
    calls: list[tuple[int, int]] = []
    monkeypatch.setattr(writefile.os, "fchown", lambda fd, uid, gid: calls.append((uid, gid)))

    assert update(env) == 0

    assert (env / "apps" / "web.yaml").read_text() == workload("1.0.7")
    assert calls == []


def test_every_hard_link_of_a_patched_file_shows_the_new_tag(env: Path) -> None:
    """A rename would give one name a new file and leave the other with the old tag: a file
    with several names is overwritten in place instead."""
    web, other_name = env / "apps" / "web.yaml", env / "hardlink.txt"
    os.link(web, other_name)

    assert update(env) == 0

    assert web.read_text() == other_name.read_text() == workload("1.0.7")
    assert web.stat().st_ino == other_name.stat().st_ino and web.stat().st_nlink == 2
    assert sorted(p.name for p in web.parent.iterdir()) == ["web.yaml"]  # no temporary file


def test_an_interrupted_update_puts_a_hard_linked_file_back_under_every_name(env: Path, monkeypatch) -> None:
    web, other_name = env / "apps" / "web.yaml", env / "hardlink.txt"
    os.link(web, other_name)
    (env / "apps" / "z.yaml").write_text(workload("1.0.0"))  # written after web.yaml, and interrupted
    real = automator.run.write_atomically

    def writing(path, text, before_write=None):
        if Path(path).name == "z.yaml":
            raise KeyboardInterrupt
        real(path, text, before_write)

    monkeypatch.setattr(automator.run, "write_atomically", writing)

    assert update(env) == 130

    assert web.read_text() == other_name.read_text() == workload("1.0.0")
    assert web.stat().st_ino == other_name.stat().st_ino


def fifo(path: Path) -> str:
    os.mkfifo(path)
    return "a FIFO"


def directory(path: Path) -> str:
    path.mkdir()
    return "a directory"


def character_device(path: Path) -> str:
    if os.geteuid() != 0:
        pytest.skip("only root may make a device node")
    os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # the same device as /dev/null
    return "a character device"


@pytest.mark.parametrize("make", [fifo, directory, character_device])
def test_a_link_to_something_other_than_a_regular_file_is_refused_and_left_as_it_is(tmp_path: Path, make) -> None:
    target, link = tmp_path / "target", tmp_path / ".argocd-source-web.yaml"
    kind = make(target)
    os.symlink("target", link)
    before = target.lstat()
    told: list[Path] = []

    with pytest.raises(OSError) as raised:
        writefile.write_atomically(link, "helm:\n  parameters: []\n", lambda path, data: told.append(path))

    assert raised.value.strerror == f"it is a link to {target}, {kind}, not a regular file"
    assert raised.value.filename == str(link)
    assert link.is_symlink() and os.readlink(link) == "target"
    assert (target.lstat().st_mode, target.lstat().st_ino) == (before.st_mode, before.st_ino)
    assert told == []  # nothing recorded: nothing is written
    assert sorted(p.name for p in tmp_path.iterdir()) == [".argocd-source-web.yaml", "target"]
