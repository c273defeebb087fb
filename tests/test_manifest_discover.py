"""Discovery: which files are candidates, .git skipped, symlinks kept inside the root."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from automator.errors import ManifestError
from automator.manifest.discover import manifest_paths, read_candidate


def names(root: Path) -> list[str]:
    return [p.relative_to(root).as_posix() for p in manifest_paths(root)]


def test_yaml_yml_and_kustomization_files_are_candidates(tmp_path: Path) -> None:
    for name in ["a.yaml", "b.yml", "Kustomization", "sub/kustomization", "c.json", "README.md", "d.yaml.bak"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x: 1\n")
    assert names(tmp_path) == ["Kustomization", "a.yaml", "b.yml", "sub/kustomization"]


def test_dot_git_is_skipped(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.yaml").write_text("x: 1\n")
    (tmp_path / "y.yaml").write_text("x: 1\n")
    assert names(tmp_path) == ["y.yaml"]


def test_symlinks_are_followed_only_inside_the_root_and_each_file_is_read_once(tmp_path: Path) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    (root / "real").mkdir(parents=True)
    outside.mkdir()
    (outside / "secret.yaml").write_text("x: 1\n")
    (root / "real" / "a.yaml").write_text("x: 1\n")
    os.symlink(outside / "secret.yaml", root / "leak.yaml")
    os.symlink(outside, root / "leakdir")
    os.symlink(root / "real" / "a.yaml", root / "inside.yaml")
    os.symlink(root, root / "real" / "loop")
    assert names(root) == ["real/a.yaml"]  # inside.yaml is the same file, reported by its own name


def test_a_single_file_is_its_own_scan(tmp_path: Path) -> None:
    (tmp_path / "one.txt").write_text("x: 1\n")
    assert list(manifest_paths(tmp_path / "one.txt")) == [tmp_path / "one.txt"]


def test_a_missing_path_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="nope"):
        list(manifest_paths(tmp_path / "nope"))


def test_files_without_markers_are_dropped_and_bad_bytes_matter_only_with_markers(tmp_path: Path) -> None:
    plain, latin, marked = tmp_path / "p.yaml", tmp_path / "l.yaml", tmp_path / "m.yaml"
    plain.write_text("a: 1\n")
    latin.write_bytes(b"a: \xe9\n")
    marked.write_bytes(b"fluxcd.io/automated: \xe9\n")
    markers = ("fluxcd.io/automated",)
    assert read_candidate(plain, markers) is None
    assert read_candidate(latin, markers) is None
    with pytest.raises(ManifestError, match="not UTF-8"):
        read_candidate(marked, markers)


def test_text_is_kept_exactly_bom_and_crlf_included(tmp_path: Path) -> None:
    path = tmp_path / "w.yaml"
    path.write_bytes(b"\xef\xbb\xbfk: fluxcd.io/automated\r\n")
    assert read_candidate(path, ("fluxcd.io/automated",)) == "\ufeffk: fluxcd.io/automated\r\n"
