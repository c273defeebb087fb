"""A kustomization target's ``newName`` (set by ``<alias>.kustomize.image-name``) as Argo CD
Image Updater writes it: an ``images:`` entry without ``newName`` gains it only when its
``newTag`` moves, as part of that image's one update; while the tag is current nothing is
written, committed or pushed."""

from pathlib import Path

from git_helpers import clone, git, isolated_git, make_remote, run_automator, show  # noqa: F401 (autouse fixture)

P = "argocd-image-updater.argoproj.io/"
KUSTOMIZATION = "deploy/app/kustomization.yaml"
ANNOTATIONS = {"image-list": "argocd=ghcr.io/argoproj/argocd:~2.9", "write-back-method": "git",
               "write-back-target": "kustomization", "argocd.kustomize.image-name": "quay.io/argoproj/argocd"}
DIGEST_1, DIGEST_2 = "sha256:" + "1" * 64, "sha256:" + "2" * 64


def application() -> str:
    lines = "".join(f'    {P}{key}: "{value}"\n' for key, value in ANNOTATIONS.items())
    return ("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: app\n  namespace: argocd\n"
            f"  annotations:\n{lines}spec:\n  source:\n    repoURL: https://git.example.com/acme/env\n"
            "    path: deploy/app\n    kustomize: {}\n")


def env_repo(tmp_path: Path, kustomization: str, tags: str) -> tuple[Path, Path]:
    """A bare remote holding the Application and its kustomization, and a clone whose origin is
    the Application's repoURL; ``tags.yaml`` (outside the repository) lists the image's tags."""
    bare = make_remote(tmp_path, {"apps/app.yaml": application(), KUSTOMIZATION: kustomization})
    work = clone(bare, tmp_path / "work")
    git(work, "config", f"url.file://{bare}.insteadOf", "https://git.example.com/acme/env")
    git(work, "remote", "set-url", "origin", "https://git.example.com/acme/env")
    (tmp_path / "tags.yaml").write_text(tags)
    return bare, work


def automator(tmp_path: Path, work: Path, *args: str):
    done = run_automator([*args, ".", "--tags-from", str(tmp_path / "tags.yaml")], cwd=work)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


CURRENT = "images:\n  - name: quay.io/argoproj/argocd\n    newTag: v2.9.3\n"
TAGS = "ghcr.io/argoproj/argocd: [v2.9.0, v2.9.3]\n"


def test_a_missing_new_name_is_not_written_while_the_tag_is_current(tmp_path):
    bare, work = env_repo(tmp_path, CURRENT, TAGS)
    before = git(bare, "rev-parse", "main")

    preview = automator(tmp_path, work, "update", "--dry-run")
    assert preview.stdout == ""  # no diff: the image needs no update

    done = automator(tmp_path, work, "run")
    assert "no updates" in done.stdout
    assert git(bare, "rev-parse", "main") == before  # nothing committed, nothing pushed
    assert show(bare, KUSTOMIZATION) + "\n" == CURRENT


def test_the_new_name_added_with_a_new_tag_is_part_of_that_images_update(tmp_path):
    bare, work = env_repo(tmp_path, CURRENT, "ghcr.io/argoproj/argocd: [v2.9.0, v2.9.3, v2.9.5]\n")

    preview = automator(tmp_path, work, "update", "--dry-run", "--markdown", str(tmp_path / "report.md"))
    assert "+    newTag: v2.9.5\n+    newName: ghcr.io/argoproj/argocd\n" in preview.stdout
    rows = [line for line in (tmp_path / "report.md").read_text().splitlines() if line.startswith("| `deploy")]
    assert len(rows) == 1 and "`v2.9.3` -> `v2.9.5`" in rows[0]  # one row, at the tag's line
    assert rows[0].startswith(f"| `{KUSTOMIZATION}:3` ")

    automator(tmp_path, work, "run")
    assert show(bare, KUSTOMIZATION) + "\n" == (
        "images:\n  - name: quay.io/argoproj/argocd\n    newTag: v2.9.5\n    newName: ghcr.io/argoproj/argocd\n")
    assert git(bare, "log", "-1", "--format=%B", "main").splitlines() == [  # one update: the name rides with the tag
        "Update 1 image (argocd v2.9.5)",
        "",
        f"- {KUSTOMIZATION}: ghcr.io/argoproj/argocd v2.9.3 -> v2.9.5 (semver:~2.9)",
    ]


def test_a_flow_entry_with_a_digest_gains_new_name_only_with_its_new_tag(tmp_path):
    entry = f"images:\r\n- {{name: quay.io/argoproj/argocd, newTag: v2.9.3, digest: '{DIGEST_1}'}}\r\n"
    listed = f"ghcr.io/argoproj/argocd:\n- {{tag: v2.9.3, digest: '{DIGEST_1}'}}\n"
    bare, work = env_repo(tmp_path, entry, listed)
    assert automator(tmp_path, work, "update", "--dry-run").stdout == ""  # tag and digest current

    (tmp_path / "tags.yaml").write_text(listed + f"- {{tag: v2.9.5, digest: '{DIGEST_2}'}}\n")
    automator(tmp_path, work, "update")
    assert (work / KUSTOMIZATION).read_bytes().decode() == (
        f"images:\r\n- {{name: quay.io/argoproj/argocd, newTag: v2.9.5, digest: '{DIGEST_2}', "
        "newName: ghcr.io/argoproj/argocd}\r\n")
