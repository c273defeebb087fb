"""The pipeline: make_plan (discover -> locate -> tags -> select) and apply_plan (write)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from pathlib import Path

import pytest

from automator.errors import AutomatorError
from automator.model import TagInfo
from automator.run import ApplyError, apply_plan, make_plan
from automator.tagfile import FileTagSource


def deployment(name: str, image: str, policy: str = "semver:^1") -> str:
    return f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  annotations:
    fluxcd.io/automated: "true"
    fluxcd.io/tag.app: {policy}
spec:
  template:
    spec:
      containers:
      - name: app
        image: {image}
"""


class RecordingSource:
    """A TagSource over a table that records what the pipeline asked for."""

    def __init__(self, tags: dict[str, list[TagInfo]], times: dict[str, datetime] | None = None) -> None:
        self.tags, self.times = tags, times or {}
        self.listed: list[list[str]] = []
        self.metadata_asked: list[tuple[str, list[str]]] = []

    def list_tags(self, repositories: Iterable[str]):
        repositories = list(repositories)
        self.listed.append(repositories)
        return {r: self.tags.get(r, AutomatorError(f"{r}: unknown")) for r in repositories}

    def metadata(self, repository: str, tags: Sequence[str]):
        self.metadata_asked.append((repository, list(tags)))
        return {t: TagInfo(t, self.times.get(t)) for t in tags}


def tags(*names: str) -> list[TagInfo]:
    return [TagInfo(n) for n in names]


def test_tags_are_listed_once_per_distinct_repository(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(deployment("a", "acme/app:1.0.0"))
    (tmp_path / "b.yaml").write_text(deployment("b", "docker.io/acme/app:1.0.0"))
    source = RecordingSource({"docker.io/acme/app": tags("1.0.0", "1.1.0")})
    plan = make_plan(tmp_path, source)
    assert source.listed == [["docker.io/acme/app"]]
    assert [(u.use.file, u.from_tag, u.to_tag) for u in plan.updates] == [("a.yaml", "1.0.0", "1.1.0"), ("b.yaml", "1.0.0", "1.1.0")]


def test_build_times_are_fetched_only_for_tags_a_build_time_policy_admits(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(deployment("a", "acme/app:main-1", "glob:main-*"))
    (tmp_path / "b.yaml").write_text(deployment("b", "acme/other:1.0.0"))
    times = {"main-1": datetime(2024, 1, 1, tzinfo=timezone.utc), "main-2": datetime(2024, 2, 1, tzinfo=timezone.utc)}
    source = RecordingSource(
        {"docker.io/acme/app": tags("main-1", "main-2", "dev-9"), "docker.io/acme/other": tags("1.0.0", "1.2.0")}, times
    )
    plan = make_plan(tmp_path, source)
    assert source.metadata_asked == [("docker.io/acme/app", ["main-1", "main-2"])]
    assert {u.use.file: u.to_tag for u in plan.updates} == {"a.yaml": "main-2", "b.yaml": "1.2.0"}


def test_one_bad_file_or_repository_does_not_stop_the_others(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text('metadata: {annotations: {fluxcd.io/automated: "true"}\n')
    (tmp_path / "unknown.yaml").write_text(deployment("u", "acme/unknown:1.0.0"))
    (tmp_path / "good.yaml").write_text(deployment("g", "acme/app:1.0.0"))
    plan = make_plan(tmp_path, RecordingSource({"docker.io/acme/app": tags("1.0.0", "1.1.0")}))
    assert [u.use.file for u in plan.updates] == ["good.yaml"]
    assert sorted(p.file for p in plan.errors) == ["bad.yaml", "unknown.yaml"]


@pytest.mark.parametrize(
    ("current", "policy", "listed", "expected"),
    [
        ("1.0.0", "semver:^1", ["1.0.0", "1.2.0", "2.0.0"], "1.2.0"),
        ("1.9.0", "semver:^1", ["1.0.0", "1.2.0"], None),  # never downgrade
        ("3.0.0", "semver:^1", ["1.0.0", "1.2.0", "3.0.0"], "1.2.0"),  # outside the policy: moves
        ("1.2.0", "semver:^1", ["1.0.0", "1.2.0"], None),  # already there
    ],
)
def test_selection_uses_the_current_tag(tmp_path: Path, current: str, policy: str, listed: list, expected) -> None:
    (tmp_path / "a.yaml").write_text(deployment("a", f"acme/app:{current}", policy))
    plan = make_plan(tmp_path, RecordingSource({"docker.io/acme/app": tags(*listed)}))
    assert [u.to_tag for u in plan.updates] == ([expected] if expected else [])
    assert plan.errors == ()


def test_no_qualifying_tag_and_a_bad_policy_are_problems_naming_file_and_image(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(deployment("a", "acme/app:1.0.0", "semver:^5"))
    (tmp_path / "b.yaml").write_text(deployment("b", "acme/app:1.0.0", "'semver:>=1<2'"))
    plan = make_plan(tmp_path, RecordingSource({"docker.io/acme/app": tags("1.0.0")}))
    assert [(p.file, p.image) for p in plan.errors] == [("a.yaml", "docker.io/acme/app"), ("b.yaml", "docker.io/acme/app")]
    assert "no tag qualifies" in plan.errors[0].message


def test_scan_path_limits_the_walk_and_names_stay_relative_to_root(tmp_path: Path) -> None:
    (tmp_path / "prod").mkdir()
    (tmp_path / "prod" / "a.yaml").write_text(deployment("a", "acme/app:1.0.0"))
    (tmp_path / "b.yaml").write_text(deployment("b", "acme/app:1.0.0"))
    plan = make_plan(tmp_path, RecordingSource({"docker.io/acme/app": tags("1.1.0")}), scan_path=tmp_path / "prod")
    assert [u.use.file for u in plan.updates] == ["prod/a.yaml"]


def test_apply_writes_atomically_keeping_mode_and_symlinks(tmp_path: Path) -> None:
    real = tmp_path / "real.yaml"
    real.write_text(deployment("a", "acme/app:1.0.0"))
    os.chmod(real, 0o640)
    os.symlink("real.yaml", tmp_path / "link.yml")
    plan = make_plan(tmp_path, RecordingSource({"docker.io/acme/app": tags("1.1.0")}))
    assert apply_plan(tmp_path, plan) == ["real.yaml"]  # the link is the same field, seen once
    assert real.read_text() == deployment("a", "acme/app:1.1.0")
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert (tmp_path / "link.yml").is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.yml", "real.yaml"]  # no temp files left


def test_apply_in_place_overwrites_the_same_file_and_still_writes_links_at_their_target(tmp_path: Path) -> None:
    """For the tool's own clone, which nobody else reads: no new file per write."""
    (tmp_path / "a.yaml").write_text(deployment("a", "acme/app:1.0.0"))
    os.chmod(tmp_path / "a.yaml", 0o640)
    (tmp_path / "real.yaml").write_text(deployment("b", "acme/other:1.0.0"))
    os.symlink("real.yaml", tmp_path / "link.yml")
    inode = (tmp_path / "a.yaml").stat().st_ino
    plan = make_plan(tmp_path, RecordingSource({"docker.io/acme/app": tags("1.1.0"), "docker.io/acme/other": tags("1.1.0")}))
    assert apply_plan(tmp_path, plan, in_place=True) == ["a.yaml", "real.yaml"]
    assert (tmp_path / "a.yaml").read_text() == deployment("a", "acme/app:1.1.0")
    assert (tmp_path / "a.yaml").stat().st_ino == inode and stat.S_IMODE((tmp_path / "a.yaml").stat().st_mode) == 0o640
    assert (tmp_path / "link.yml").is_symlink() and (tmp_path / "real.yaml").read_text() == deployment("b", "acme/other:1.1.0")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.yaml", "link.yml", "real.yaml"]


def test_a_write_in_place_that_fails_puts_the_old_text_back(tmp_path: Path, monkeypatch) -> None:
    from automator.manifest import writefile

    target = tmp_path / "a.yaml"
    target.write_text("image: acme/app:1.0.0\n")
    real_write, calls = os.write, []

    def disk_full_once(fd: int, data) -> int:
        calls.append(bytes(data))
        if len(calls) == 1:
            raise OSError(28, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(writefile.os, "write", disk_full_once)
    with pytest.raises(OSError, match="No space left"):
        writefile.write_in_place(target, "image: acme/app:1.1.0\n", "image: acme/app:1.0.0\n")
    assert calls[0] == b"image: acme/app:1.1.0\n"
    assert target.read_text() == "image: acme/app:1.0.0\n"


def test_a_file_that_fails_verification_is_left_alone_and_the_others_are_written(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(deployment("a", "acme/app:1.0.0"))
    (tmp_path / "b.yaml").write_text(deployment("b", "acme/app:1.0.0"))
    plan = make_plan(tmp_path, RecordingSource({"docker.io/acme/app": tags("1.1.0")}))
    edited_meanwhile = deployment("a", "acme/app:1.0.5")
    (tmp_path / "a.yaml").write_text(edited_meanwhile)
    with pytest.raises(ApplyError) as caught:
        apply_plan(tmp_path, plan)
    assert caught.value.changed == ["b.yaml"]
    assert caught.value.problems[0].file == "a.yaml" and "left unchanged" in caught.value.problems[0].message
    assert (tmp_path / "a.yaml").read_text() == edited_meanwhile
    assert (tmp_path / "b.yaml").read_text() == deployment("b", "acme/app:1.1.0")


def test_file_tag_source_drives_the_pipeline(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(deployment("a", "acme/app:1.0.0"))
    (tmp_path / "tags.json").write_text('{"acme/app": ["1.0.0", "1.3.0"]}')
    plan = make_plan(tmp_path, FileTagSource.load(tmp_path / "tags.json"))
    assert [u.to_tag for u in plan.updates] == ["1.3.0"]
