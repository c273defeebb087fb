"""Where Argo CD Image Updater's git write-back writes, for the Applications whose target is not
the plain ``.argocd-source-<name>.yaml`` of ``spec.source``: a kustomization's ``images:``
entry (with ``digest`` and ``newName``), multi-source Applications, Applications in another
namespace, and ApplicationSets (not expanded)."""

from pathlib import Path

from automator.cli import main
from automator.manifest.argocd.tree import read_tree

P = "argocd-image-updater.argoproj.io/"
DIGEST_1, DIGEST_2 = "sha256:" + "1" * 64, "sha256:" + "2" * 64


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def application(annotations: dict[str, str], source: str, name: str = "app", namespace: str = "argocd") -> str:
    lines = "".join(f"    {P}{key}: {value!r}\n".replace("'", '"') for key, value in annotations.items())
    return (f"apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {name}\n  namespace: {namespace}\n"
            f"  annotations:\n{lines}spec:\n{source}")


def update(root: Path, tags: str) -> int:
    (root / "tags.yaml").write_text(tags)
    return main(["update", str(root), "--tags-from", str(root / "tags.yaml")])


KUSTOMIZATION_TARGET = {"image-list": "web=ghcr.io/acme/web:~1.2", "write-back-method": "git",
                        "write-back-target": "kustomization"}
SOURCE = "  source:\n    repoURL: https://git.example.com/acme/env\n    path: deploy/app\n    kustomize: {}\n"


# --- a kustomization's images entry ---------------------------------------------------------


def test_a_digest_in_the_kustomization_entry_moves_with_the_tag(tmp_path):
    root = write(tmp_path, {
        "apps/app.yaml": application(KUSTOMIZATION_TARGET, SOURCE),
        "deploy/app/kustomization.yaml": f"images:\n- name: ghcr.io/acme/web\n  newTag: 1.2.0\n  digest: {DIGEST_1}\n",
    })
    tags = f"ghcr.io/acme/web:\n- {{tag: 1.2.0, digest: '{DIGEST_1}'}}\n- {{tag: 1.2.5, digest: '{DIGEST_2}'}}\n"
    assert update(root, tags) == 0
    assert (root / "deploy/app/kustomization.yaml").read_text() == (
        f"images:\n- name: ghcr.io/acme/web\n  newTag: 1.2.5\n  digest: {DIGEST_2}\n")


def test_a_tag_whose_digest_is_not_known_is_not_written_beside_the_old_digest(tmp_path, capsys):
    kustomization = f"images:\n- name: ghcr.io/acme/web\n  newTag: 1.2.0\n  digest: {DIGEST_1}\n"
    root = write(tmp_path, {"apps/app.yaml": application(KUSTOMIZATION_TARGET, SOURCE),
                            "deploy/app/kustomization.yaml": kustomization})
    assert update(root, "ghcr.io/acme/web: [1.2.0, 1.2.5]\n") != 0
    assert (root / "deploy/app/kustomization.yaml").read_text() == kustomization  # kustomize would deploy 1.2.0
    err = capsys.readouterr().err
    assert "the digest of tag 1.2.5 is not known" in err
    assert "tag 1.2.5 is not written without its digest" in err


def test_kustomize_image_name_sets_new_name_so_the_chosen_image_deploys(tmp_path):
    annotations = {**KUSTOMIZATION_TARGET, "image-list": "argocd=ghcr.io/argoproj/argocd:~2.9",
                   "argocd.kustomize.image-name": "quay.io/argoproj/argocd"}
    root = write(tmp_path, {
        "apps/app.yaml": application(annotations, SOURCE),
        "deploy/app/kustomization.yaml": ("images:\n  - name: quay.io/argoproj/argocd\n    newTag: v2.9.0 # pinned\n"
                                          "  - name: ghcr.io/acme/web\n    newTag: 1.2.0\n"),
    })
    assert update(root, "ghcr.io/argoproj/argocd: [v2.9.0, v2.9.3, v2.10.0]\n") == 0
    assert (root / "deploy/app/kustomization.yaml").read_text() == (
        "images:\n  - name: quay.io/argoproj/argocd\n    newTag: v2.9.3 # pinned\n    newName: ghcr.io/argoproj/argocd\n"
        "  - name: ghcr.io/acme/web\n    newTag: 1.2.0\n")
    assert update(root, "ghcr.io/argoproj/argocd: [v2.9.0, v2.9.3, v2.10.0]\n") == 0  # and then nothing more to do


def test_a_new_name_is_corrected_in_place_or_added_in_a_flow_entry(tmp_path):
    annotations = {**KUSTOMIZATION_TARGET, "image-list": "argocd=ghcr.io/argoproj/argocd:~2.9",
                   "argocd.kustomize.image-name": "argocd"}
    root = write(tmp_path, {
        "apps/app.yaml": application(annotations, SOURCE),
        "deploy/app/kustomization.yaml": "images:\n- {name: argocd, newTag: v2.9.0}\n",
        "apps/b.yaml": application(annotations, SOURCE.replace("deploy/app", "deploy/b"), name="b"),
        "deploy/b/kustomization.yaml": "images:\n- name: argocd\n  newName: quay.io/argoproj/argocd\n  newTag: v2.9.0\n",
    })
    assert update(root, "ghcr.io/argoproj/argocd: [v2.9.0, v2.9.3]\n") == 0
    assert (root / "deploy/app/kustomization.yaml").read_text() == (
        "images:\n- {name: argocd, newTag: v2.9.3, newName: ghcr.io/argoproj/argocd}\n")
    assert (root / "deploy/b/kustomization.yaml").read_text() == (
        "images:\n- name: argocd\n  newName: ghcr.io/argoproj/argocd\n  newTag: v2.9.3\n")


# --- which source, which file ---------------------------------------------------------------


def test_a_multi_source_application_writes_into_the_source_with_kustomize_or_helm(tmp_path):
    sources = ("  sources:\n  - repoURL: https://git.example.com/acme/other\n    targetRevision: main\n    ref: values\n"
               "  - repoURL: https://git.example.com/acme/env\n    path: deploy/web\n    kustomize: {}\n")
    root = write(tmp_path, {"apps/web.yaml": application({"image-list": "web=ghcr.io/acme/web:~1.2", "write-back-method": "git"},
                                                         sources, name="web"),
                            "deploy/web/kustomization.yaml": "resources: []\n"})
    tree = read_tree(root, origin="")
    assert list(tree.targets) == ["deploy/web/.argocd-source-web.yaml"] and tree.problems == ()


def test_a_multi_source_application_without_such_a_source_is_left_alone_and_says_why(tmp_path):
    sources = "  sources:\n  - repoURL: https://git.example.com/acme/env\n    path: plain\n"
    root = write(tmp_path, {"apps/web.yaml": application({"image-list": "web=ghcr.io/acme/web", "write-back-method": "git"},
                                                         sources, name="web")})
    tree = read_tree(root, origin="")
    (problem,) = tree.problems
    assert tree.targets == {} and "none of its spec.sources has helm or kustomize" in problem.message


def helm_app(root: Path, namespace: str, files: dict[str, str] = {}) -> Path:  # noqa: B006 - never changed
    source = "  source:\n    repoURL: https://git.example.com/acme/env\n    path: charts/web\n    helm: {}\n"
    return write(root, {"apps/web.yaml": application({"image-list": "web=ghcr.io/acme/web", "write-back-method": "git"},
                                                     source, name="web", namespace=namespace),
                        "charts/web/Chart.yaml": "name: web\n", **files})


def test_an_existing_namespaced_override_file_is_the_one_written(tmp_path):
    root = helm_app(tmp_path, "team-a", {"charts/web/.argocd-source-team-a_web.yaml": "helm:\n  parameters: []\n"})
    tree = read_tree(root, origin="")
    assert list(tree.targets) == ["charts/web/.argocd-source-team-a_web.yaml"] and tree.problems == ()


def test_without_an_override_file_the_plain_name_is_created_with_a_warning_outside_argocd(tmp_path):
    tree = read_tree(helm_app(tmp_path, "team-a"), origin="")
    assert [use.file for use in tree.insertions] == ["charts/web/.argocd-source-web.yaml"]
    (warning,) = tree.problems
    assert warning.severity == "warning" and "if Argo CD does not run in namespace team-a, it reads " \
        "charts/web/.argocd-source-team-a_web.yaml instead: create that file empty and run again" in warning.message
    assert read_tree(helm_app(tmp_path / "b", "argocd"), origin="").problems == ()


def test_two_override_files_for_one_application_are_a_problem(tmp_path):
    root = helm_app(tmp_path, "team-a", {"charts/web/.argocd-source-team-a_web.yaml": "helm: {}\n",
                                         "charts/web/.argocd-source-web.yaml": "helm: {}\n"})
    tree = read_tree(root, origin="")
    (problem,) = tree.problems
    assert tree.targets == {} and "Argo CD reads only one of them" in problem.message


def test_an_application_set_with_image_updater_annotations_is_a_warning(tmp_path):
    root = write(tmp_path, {"apps/set.yaml": (
        "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: web\nspec:\n  template:\n"
        "    metadata:\n      name: 'web-{{env}}'\n      annotations:\n"
        f"        {P}image-list: web=ghcr.io/acme/web\n    spec:\n      source: {{path: charts/web, helm: {{}}}}\n"
        "---\napiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: plain\nspec:\n  template: {}\n")})
    (warning,) = read_tree(root, origin="").problems
    assert warning.severity == "warning"
    assert warning.message.startswith("apps/set.yaml: ApplicationSet web: its template carries " + P)
    assert "render them into a directory and give it with --argocd-apps DIR" in warning.message
