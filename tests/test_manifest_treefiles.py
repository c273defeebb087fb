"""One walk and one read of the tree per plan: the Flux v2 pass, the Argo CD pass and locating
share them (automator/manifest/treefiles.py), and each automated document is parsed once."""

from __future__ import annotations

import io
import os
from collections import Counter
from pathlib import Path

import pytest

from automator.manifest import discover, locate
from automator.manifest.discover import walk_manifests
from automator.manifest.treefiles import NOT_WALKED, TreeFiles
from automator.model import Plan
from automator.run import make_plan, write_plan
from automator.tagfile import FileTagSource

POLICIES = """\
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: {name: app, namespace: flux-system}
spec: {image: ghcr.io/acme/app}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {name: app, namespace: flux-system}
spec:
  imageRepositoryRef: {name: app}
  policy: {semver: {range: 1.x}}
"""
MARKED = """\
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers:
      - name: web
        image: ghcr.io/acme/app:1.0.0 # {"$imagepolicy": "flux-system:app"}
"""
ANNOTATED = """\
kind: Deployment
metadata:
  name: api-{i}
  annotations: {{fluxcd.io/automated: "true", fluxcd.io/tag.api: "semver:^1"}}
spec:
  template:
    spec:
      containers:
      - name: api
        image: "ghcr.io/acme/api:1.0.0"
"""
PLAIN = "kind: ConfigMap\nmetadata: {{name: c-{i}}}\ndata: {{image: not-automated}}\n"


def write_tree(root: Path) -> None:
    (root / "flux").mkdir(parents=True)
    (root / "flux" / "policies.yaml").write_text(POLICIES)
    (root / "apps").mkdir()
    (root / "apps" / "web.yaml").write_text(MARKED)
    for i in range(3):
        (root / "apps" / f"api-{i}.yaml").write_text(ANNOTATED.format(i=i))
    (root / "config").mkdir()
    for i in range(20):
        (root / "config" / f"c-{i}.yaml").write_text(PLAIN.format(i=i))


def source(tmp_path: Path) -> FileTagSource:
    tags = tmp_path / "tags.yaml"
    tags.write_text("ghcr.io/acme/app: [1.0.0, 1.2.0]\nghcr.io/acme/api: [1.0.0, 1.3.0]\n")
    return FileTagSource.load(tags)


@pytest.fixture
def reads(monkeypatch) -> Counter:
    """Files opened for reading, by path (every way the code opens a file)."""
    opened: Counter = Counter()
    real_os_open, real_io_open = os.open, io.open

    def os_open(path, flags, *args, **kwargs):
        if not flags & (os.O_WRONLY | os.O_RDWR):
            opened[os.fspath(path)] += 1
        return real_os_open(path, flags, *args, **kwargs)

    def io_open(file, mode="r", *args, **kwargs):
        if isinstance(file, (str, os.PathLike)) and not any(c in mode for c in "wax+"):
            opened[os.fspath(file)] += 1
        return real_io_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(os, "open", os_open)
    monkeypatch.setattr(io, "open", io_open)
    monkeypatch.setattr("builtins.open", io_open)
    return opened


def test_planning_reads_every_file_once_and_parses_each_automated_document_once(tmp_path: Path, reads: Counter, monkeypatch) -> None:
    root = tmp_path / "repo"
    write_tree(root)
    tags = source(tmp_path)
    composed: list[str] = []
    real = locate.compose
    monkeypatch.setattr(locate, "compose", lambda chunk, *a, **k: composed.append(chunk.text) or real(chunk, *a, **k))
    reads.clear()
    plan = make_plan(root, tags)
    assert sorted(u.use.file for u in plan.updates) == ["apps/api-0.yaml", "apps/api-1.yaml", "apps/api-2.yaml", "apps/web.yaml"]
    files = {os.fspath(p): n for p, n in reads.items() if os.fspath(p).startswith(os.fspath(root) + os.sep)}
    assert len(files) == 25  # every manifest of the tree ...
    plain = {p: n for p, n in files.items() if "/config/" in p or p.endswith("policies.yaml")}
    assert set(plain.values()) == {1}  # ... the ones without automation read once by the whole plan,
    # the automated ones once by the passes, and once more by the rules' reader of hold/follow
    # annotations (automator/rules/runtime.py), which looks at them while choosing
    assert all(n <= 2 for n in files.values())
    assert len(composed) == 4  # one parse per automated document; the policies' in the Flux pass

    # patching reads each file of the plan once more, and nothing else (a Flux v2 field would
    # also have the tree's policies read again to re-locate it: run.locators_for)
    annotated = Plan(tuple(u for u in plan.updates if u.use.dialect == "fluxv1"))
    reads.clear()
    assert write_plan(root, annotated) == (["apps/api-0.yaml", "apps/api-1.yaml", "apps/api-2.yaml"], [])
    assert {os.path.relpath(p, root): n for p, n in reads.items() if os.fspath(p).startswith(os.fspath(root))} == {
        "apps/api-0.yaml": 1, "apps/api-1.yaml": 1, "apps/api-2.yaml": 1}
    assert '"ghcr.io/acme/api:1.3.0"' in (root / "apps" / "api-0.yaml").read_text()


def test_the_shared_read_keeps_only_screened_files_and_answers_for_the_others(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    write_tree(root)
    (root / "wide.yaml").write_bytes("k: v\n".encode("utf-16"))  # kept: the locating pass explains it
    files = TreeFiles.read(root, ("fluxcd.io/automated", "$imagepolicy", "image.toolkit.fluxcd.io"))
    assert files.reads == 26
    kept = sorted(os.path.relpath(p, root) for p, _ in files.items())
    assert kept == ["apps/api-0.yaml", "apps/api-1.yaml", "apps/api-2.yaml", "apps/web.yaml", "flux/policies.yaml", "wide.yaml"]
    plain = os.fspath(root / "config" / "c-1.yaml")
    assert files.lookup(plain, ("fluxcd.io/automated",)) is None  # read once, holds no marker
    assert files.lookup(plain, ("images",)) is NOT_WALKED  # screened for other markers: read it again
    assert files.lookup(os.fspath(tmp_path / "elsewhere.yaml"), ()) is NOT_WALKED


def test_an_unreadable_file_is_a_problem_and_stops_nothing_else(tmp_path: Path, monkeypatch) -> None:
    from automator.manifest import treefiles

    root = tmp_path / "repo"
    write_tree(root)
    bad = os.fspath(root / "apps" / "api-1.yaml")
    real = treefiles.read_bytes

    def refusing(path):
        if os.fspath(path) == bad:
            raise PermissionError(13, "Permission denied", path)
        return real(path)

    monkeypatch.setattr(treefiles, "read_bytes", refusing)
    plan = make_plan(root, source(tmp_path))
    assert any(p.message.startswith("apps/api-1.yaml: cannot read (Permission denied)") for p in plan.problems)
    assert sorted(u.use.file for u in plan.updates) == ["apps/api-0.yaml", "apps/api-2.yaml", "apps/web.yaml"]


def reference_walk(scan_path: str) -> list[str]:
    """The walk as it was written with os.walk (the model the scandir walk must match)."""
    root = os.path.realpath(scan_path)
    within = lambda real: real == root or real.startswith(root.rstrip(os.sep) + os.sep)  # noqa: E731
    visited, linked_dirs, direct, linked = {root}, set(), [], {}
    for dirpath, dirnames, filenames in os.walk(scan_path, followlinks=True):
        dir_linked = dirpath in linked_dirs
        keep = []
        for name in dirnames:
            child = os.path.join(dirpath, name)
            if name == ".git":
                continue
            if os.path.islink(child):
                real = os.path.realpath(child)
                if not within(real) or real in visited:
                    continue
                visited.add(real)
                linked_dirs.add(child)
            elif dir_linked:
                linked_dirs.add(child)
            keep.append(name)
        dirnames[:] = keep
        for name in filenames:
            if not discover.is_manifest_name(name):
                continue
            path = os.path.join(dirpath, name)
            if os.path.islink(path):
                if within(os.path.realpath(path)) and os.path.isfile(path):
                    linked.setdefault(os.path.realpath(path), path)
            elif os.path.isfile(path):
                (linked.setdefault(os.path.realpath(path), path) if dir_linked else direct.append(path))
    seen = {os.path.realpath(p) for p in direct}
    return sorted([*direct, *(p for real, p in linked.items() if real not in seen)])


def test_the_scandir_walk_lists_what_the_os_walk_did(tmp_path: Path) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    for folder in ("a/b/c", "d", ".git/x", "e/.git"):
        (root / folder).mkdir(parents=True)
    outside.mkdir()
    for name in ("a/1.yaml", "a/b/2.yml", "a/b/c/kustomization", "d/Kustomization", ".git/x/3.yaml", "e/.git/4.yaml",
                 "d/readme.md", "a/b/c/5.yaml"):
        (root / name).write_text("x: 1\n")
    (outside / "o.yaml").write_text("x: 1\n")
    os.symlink(root / "a" / "b", root / "d" / "to-b")  # a directory reached twice
    os.symlink(root / "a" / "1.yaml", root / "d" / "one.yaml")  # a file reached twice
    os.symlink(outside, root / "out")  # outside: never followed
    os.symlink(root / "missing.yaml", root / "broken.yaml")
    os.symlink(root, root / "a" / "b" / "c" / "loop")
    os.symlink(root / "e", root / "e-link")  # only through a link: listed by the link's path
    (root / "e" / "6.yaml").write_text("x: 1\n")
    assert walk_manifests(str(root)) == reference_walk(str(root))
    assert walk_manifests(str(root / "d")) == reference_walk(str(root / "d"))


def test_an_event_run_asks_git_only_about_the_files_of_the_pushed_repository(tmp_path: Path, monkeypatch) -> None:
    from automator.events.pushed import parse_pushed
    from automator.events.source import PushedScope

    root = tmp_path / "repo"
    write_tree(root)
    asked: list[tuple[str, ...]] = []
    monkeypatch.setattr(discover, "_git_lines", lambda where, *args, stdin=b"": asked.append((*args, stdin)) or [])
    other = PushedScope((parse_pushed("ghcr.io/acme/unused:2.0.0"),))
    assert make_plan(root, source(tmp_path), pushed=other).updates == ()
    assert asked == []  # no use of the pushed repository: nothing to ask
    api = PushedScope((parse_pushed("ghcr.io/acme/api:1.3.0"),))
    assert len(make_plan(root, source(tmp_path), pushed=api).updates) == 3
    listed, checked = asked  # tracked? then (none is, says the stand-in) ignored?
    assert listed[-4:-1] == (":(literal)apps/api-0.yaml", ":(literal)apps/api-1.yaml", ":(literal)apps/api-2.yaml")
    assert checked[0] == "check-ignore" and checked[-1] == b"apps/api-0.yaml\0apps/api-1.yaml\0apps/api-2.yaml\0"


def test_past_the_memory_bound_screened_files_are_read_again_and_plan_alike(tmp_path: Path, monkeypatch) -> None:
    from automator.manifest import treefiles

    root = tmp_path / "repo"
    write_tree(root)
    everything = make_plan(root, source(tmp_path))
    monkeypatch.setattr(treefiles, "MAX_KEPT_BYTES", len(POLICIES) + 10)  # room for one file only
    files = TreeFiles.read(root, ("fluxcd.io/automated", "$imagepolicy", "image.toolkit.fluxcd.io"))
    assert len(files.kept) == 1 and len(files.unkept) == 4
    assert sorted(os.path.relpath(p, root) for p, _ in files.items()) == [
        "apps/api-0.yaml", "apps/api-1.yaml", "apps/api-2.yaml", "apps/web.yaml", "flux/policies.yaml"]
    unkept = next(iter(files.unkept))
    assert files.lookup(unkept, ("fluxcd.io/automated",)) is NOT_WALKED  # the pass reads it itself
    assert unkept not in files.screened_out(("fluxcd.io/automated",))
    assert make_plan(root, source(tmp_path)) == everything
