"""Argo CD write-back never reaches outside the repository: an Application whose path or
write-back target resolves outside it (``..``, a symlinked directory or file) is left alone
with a problem, and so is a target that exists but is no regular file."""

import os
from pathlib import Path

from automator.cli import main

P = "argocd-image-updater.argoproj.io/"
TAGS = "ghcr.io/acme/web: [1.0.0, 1.2.0]\n"


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def application(path: str, target: str = "") -> str:
    annotations = {"image-list": "web=ghcr.io/acme/web:~1", "write-back-method": "git"}
    if target:
        annotations["write-back-target"] = target
    lines = "".join(f"    {P}{key}: {value!r}\n".replace("'", '"') for key, value in annotations.items())
    return (f"apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\n  namespace: argocd\n"
            f"  annotations:\n{lines}spec:\n  source:\n    repoURL: https://git.example.com/acme/env\n"
            f"    path: {path}\n    helm: {{}}\n")


def update(root: Path) -> int:
    (root / "tags.yaml").write_text(TAGS)
    return main(["update", str(root), "--tags-from", str(root / "tags.yaml")])


def listing(directory: Path) -> dict[str, bytes]:
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def repository_and_outside(tmp_path: Path) -> tuple[Path, Path]:
    outside = write(tmp_path / "outside", {"chart/Chart.yaml": "name: web\n", "chart/values.yaml": "image:\n  tag: 1.0.0\n"})
    return tmp_path / "repo", outside


def test_a_path_leading_out_of_the_repository_creates_no_override_file_there(tmp_path, capsys):
    root, outside = repository_and_outside(tmp_path)
    write(root, {"apps/web.yaml": application("../outside/chart")})
    before = listing(outside)
    assert update(root) != 0
    assert listing(outside) == before
    assert "Application web: its path '../outside/chart' resolves outside the repository; left alone" in capsys.readouterr().err


def test_a_values_target_leading_out_of_the_repository_is_not_written(tmp_path, capsys):
    root, outside = repository_and_outside(tmp_path)
    write(root, {"apps/web.yaml": application("charts/web", "helmvalues:/../outside/chart/values.yaml"),
                 "charts/web/Chart.yaml": "name: web\n"})
    before = listing(outside)
    assert update(root) != 0
    assert listing(outside) == before
    assert "its write-back target ../outside/chart/values.yaml resolves outside the repository; left alone" in capsys.readouterr().err


def test_a_symlinked_directory_pointing_out_of_the_repository_is_not_written_through(tmp_path, capsys):
    root, outside = repository_and_outside(tmp_path)
    write(root, {"apps/web.yaml": application("charts/chart")})
    os.symlink(outside, root / "charts")
    before = listing(outside)
    assert update(root) != 0
    assert listing(outside) == before
    assert "its path 'charts/chart' resolves outside the repository; left alone" in capsys.readouterr().err


def test_a_symlinked_override_file_pointing_out_of_the_repository_is_not_written_through(tmp_path, capsys):
    root, outside = repository_and_outside(tmp_path)
    write(root, {"apps/web.yaml": application("charts/web"), "charts/web/Chart.yaml": "name: web\n"})
    (outside / "overrides.yaml").write_text("")
    os.symlink(outside / "overrides.yaml", root / "charts/web/.argocd-source-web.yaml")
    before = listing(outside)
    assert update(root) != 0
    assert listing(outside) == before and (root / "charts/web/.argocd-source-web.yaml").is_symlink()
    assert "its write-back target charts/web/.argocd-source-web.yaml resolves outside the repository" in capsys.readouterr().err


def test_a_target_that_is_no_regular_file_is_left_alone(tmp_path, capsys):
    root = write(tmp_path, {"apps/web.yaml": application("charts/web"), "charts/web/Chart.yaml": "name: web\n"})
    (root / "charts/web/.argocd-source-web.yaml").mkdir()
    assert update(root) != 0
    assert "its write-back target charts/web/.argocd-source-web.yaml exists and is not a regular file; left alone" \
        in capsys.readouterr().err
