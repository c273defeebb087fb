"""``--strict`` leaves a file with a typo error alone: the typo may be what moves its images
(an annotation naming no container leaves that container on ``glob:*``)."""

from __future__ import annotations

from git_helpers import (
    clone,
    deployment,
    git,
    isolated_git,  # noqa: F401  (autouse fixture)
    make_remote,
    run_automator,
    show,
    write_tags,
)

APP = "registry.example/team/app"
API = "registry.example/team/api"
# fluxcd.io/tag.ap names no container: without it the container `app` falls back to glob:*
TYPO = deployment("app", f"{APP}:1.0.0").replace("fluxcd.io/tag.app: semver:>=1.0.0", "fluxcd.io/tag.ap: semver:~1.0")


def test_run_strict_pushes_nothing_that_a_typo_made(tmp_path):
    bare = make_remote(tmp_path, {"apps/app.yaml": TYPO})
    work = clone(bare, tmp_path / "work")
    tags = write_tags(tmp_path / "tags.json", {APP: ["1.0.0", "1.0.5", "9.0.0"]})
    before = git(bare, "rev-parse", "main")

    done = run_automator(["run", "apps", "--tags-from", str(tags), "--strict"], cwd=work)

    assert done.returncode == 1
    assert "error: apps/app.yaml:7: annotation fluxcd.io/tag.ap names no container" in done.stderr
    assert "--strict: apps/app.yaml left unchanged" in done.stderr
    assert "9.0.0" not in done.stdout
    assert git(bare, "rev-parse", "main") == before
    assert (work / "apps/app.yaml").read_text() == TYPO


def test_update_strict_leaves_the_file_with_a_typo_and_updates_the_others(tmp_path):
    bare = make_remote(tmp_path, {"apps/app.yaml": TYPO, "apps/api.yaml": deployment("api", f"{API}:1.0.0")})
    work = clone(bare, tmp_path / "work")
    tags = write_tags(tmp_path / "tags.json", {APP: ["1.0.0", "9.0.0"], API: ["1.0.0", "1.1.0"]})

    done = run_automator(["update", "apps", "--tags-from", str(tags), "--strict"], cwd=work)

    assert done.returncode == 1
    assert "--strict: apps/app.yaml left unchanged" in done.stderr
    assert (work / "apps/app.yaml").read_text() == TYPO
    assert f"{API}:1.1.0" in (work / "apps/api.yaml").read_text()
    assert show(bare, "apps/api.yaml") == deployment("api", f"{API}:1.0.0").rstrip("\n")

