"""Manifests inside a git submodule (or a repository cloned into the tree) are not patched.

Git commits a submodule's files only in the submodule: `git add` in the outer repository
refuses them ("Pathspec ... is in submodule"). Such files are found and reported like any
other, but a run leaves them alone with a warning, as it does ignored files, and commits the
rest; so what is patched is always committable. `update`, which never commits, patches them:
you commit them in their own repository.
"""

from __future__ import annotations

from pathlib import Path

from git_helpers import (  # noqa: F401 (isolated_git: an autouse fixture)
    assert_clean,
    clone,
    deployment,
    git,
    isolated_git,
    make_remote,
    run_automator,
    show,
    write_tags,
)

from automator.manifest.discover import uncommittable

APP = "ghcr.io/acme/app"


def with_submodule(tmp_path: Path) -> tuple[Path, Path, Path]:
    """An environment repository (remote, checkout) whose ``vendor/shared`` is a submodule
    holding an automated Deployment of its own; and a tags file offering a newer tag."""
    shared = make_remote(tmp_path / "shared", {"apps/shared.yaml": deployment("shared", f"{APP}:1.0.0")})
    bare = make_remote(tmp_path / "env", {"apps/app.yaml": deployment("app", f"{APP}:1.0.0")})
    work = clone(bare, tmp_path / "work")
    git(work, "-c", "protocol.file.allow=always", "submodule", "add", "--quiet", str(shared), "vendor/shared")
    git(work, "commit", "--quiet", "-m", "Shared manifests")
    git(work, "push", "--quiet")
    return bare, work, write_tags(tmp_path / "tags.json", {APP: ["1.0.0", "1.1.0"]})


def test_files_in_a_submodule_or_a_nested_repository_are_named_as_uncommittable(tmp_path: Path) -> None:
    _, work, _ = with_submodule(tmp_path)
    git(work / "vendor", "init", "--quiet", "cloned")  # a repository that is not a submodule
    (work / "vendor/cloned/app.yaml").write_text("kind: ConfigMap\n")
    names = ["apps/app.yaml", "vendor/shared/apps/shared.yaml", "vendor/cloned/app.yaml"]
    assert uncommittable(work, names) == {
        "vendor/shared/apps/shared.yaml": "in submodule vendor/shared",
        "vendor/cloned/app.yaml": "in the nested git repository vendor/cloned",
    }


def test_a_run_commits_the_outer_files_and_leaves_the_submodule_alone_with_a_warning(tmp_path: Path) -> None:
    bare, work, tags = with_submodule(tmp_path)
    done = run_automator(["run", ".", "--tags-from", str(tags)], cwd=work)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "vendor/shared/apps/shared.yaml: in submodule vendor/shared; not patched" in done.stdout + done.stderr
    assert f"{APP}:1.1.0" in show(bare, "apps/app.yaml")
    assert f"{APP}:1.0.0" in (work / "vendor/shared/apps/shared.yaml").read_text()
    assert_clean(work)  # the submodule is not left modified: the next run can start
    again = run_automator(["run", ".", "--tags-from", str(tags)], cwd=work)
    assert again.returncode == 0, again.stdout + again.stderr


def test_update_patches_a_submodules_files_which_you_commit_in_the_submodule(tmp_path: Path) -> None:
    # update never commits: the file is yours to commit in its own repository
    _, work, tags = with_submodule(tmp_path)

    done = run_automator(["update", ".", "--tags-from", str(tags)], cwd=work)

    assert done.returncode == 0, done.stderr
    assert "not patched" not in done.stderr
    assert f"{APP}:1.1.0" in (work / "vendor/shared/apps/shared.yaml").read_text()
    assert f"{APP}:1.1.0" in (work / "apps/app.yaml").read_text()
