"""Write-back targets that do not mention the keys the Automator looks for are still read:
a kustomization without an ``images:`` entry is a problem naming the file and what to add; a
values file gains its keys whether or not it ends with a line break; and an override file that
holds only a comment, or other Helm or Kustomize settings, gains the parameters or images, as
Argo CD Image Updater merges them into the file it finds."""

from pathlib import Path

import pytest

from automator.cli import main

P = "argocd-image-updater.argoproj.io/"
TAGS = "ghcr.io/acme/web: [1.0.0, 1.2.0]\n"


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def application(source: str, target: str = "") -> str:
    annotations = {"image-list": "web=ghcr.io/acme/web:~1", "write-back-method": "git"}
    if target:
        annotations["write-back-target"] = target
    lines = "".join(f"    {P}{key}: {value!r}\n".replace("'", '"') for key, value in annotations.items())
    return (f"apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\n  namespace: argocd\n"
            f"  annotations:\n{lines}spec:\n  source:\n    repoURL: https://git.example.com/acme/env\n{source}")


HELM = "    path: charts/web\n    helm: {}\n"
KUSTOMIZE = "    path: k\n    kustomize: {}\n"


def update(root: Path) -> int:
    (root / "tags.yaml").write_text(TAGS)
    return main(["update", str(root), "--tags-from", str(root / "tags.yaml")])


def test_a_kustomization_target_without_images_is_a_problem_naming_the_file_and_what_to_add(tmp_path, capsys):
    root = write(tmp_path, {"apps/web.yaml": application(KUSTOMIZE, "kustomization"),
                            "k/kustomization.yaml": "resources:\n- deploy.yaml\n"})
    assert update(root) != 0
    assert (root / "k/kustomization.yaml").read_text() == "resources:\n- deploy.yaml\n"
    assert "k/kustomization.yaml: Application web image web: no images entry named 'ghcr.io/acme/web' in the " \
           "kustomization; add one with newTag; left unchanged" in capsys.readouterr().err


@pytest.mark.parametrize("ending", ["\n", ""], ids=["with-line-break", "without-line-break"])
def test_a_values_target_gains_the_image_keys_whatever_its_last_line(tmp_path, ending):
    root = write(tmp_path, {"apps/web.yaml": application(HELM, "helmvalues"), "charts/web/Chart.yaml": "name: web\n",
                            "charts/web/values.yaml": "other: keep\nreplicas: 2" + ending})
    assert update(root) == 0
    assert (root / "charts/web/values.yaml").read_text() == (
        "other: keep\nreplicas: 2\nimage:\n  tag: 1.2.0\n  name: ghcr.io/acme/web\n")


NEW_PARAMETERS = ("  parameters:\n  - name: image.name\n    value: ghcr.io/acme/web\n    forcestring: true\n"
                  "  - name: image.tag\n    value: 1.2.0\n    forcestring: true\n")


@pytest.mark.parametrize(("override", "expected"), [
    ("# written by the image updater\n", "# written by the image updater\nhelm:\n" + NEW_PARAMETERS),
    ("helm:\n  releaseName: web\n", "helm:\n  releaseName: web\n" + NEW_PARAMETERS),
    ("helm:\n  valueFiles:\n  - prod.yaml\n", "helm:\n  valueFiles:\n  - prod.yaml\n" + NEW_PARAMETERS),
], ids=["only-a-comment", "release-name", "value-files"])
def test_an_override_file_without_parameters_gains_them(tmp_path, override, expected):
    root = write(tmp_path, {"apps/web.yaml": application(HELM), "charts/web/Chart.yaml": "name: web\n",
                            "charts/web/.argocd-source-web.yaml": override})
    assert update(root) == 0
    assert (root / "charts/web/.argocd-source-web.yaml").read_text() == expected
    assert update(root) == 0  # and then nothing more to do
    assert (root / "charts/web/.argocd-source-web.yaml").read_text() == expected


def test_a_kustomize_override_file_without_images_gains_them(tmp_path):
    root = write(tmp_path, {"apps/web.yaml": application(KUSTOMIZE), "k/kustomization.yaml": "resources: []\n",
                            "k/.argocd-source-web.yaml": "kustomize:\n  namePrefix: prod-\n"})
    assert update(root) == 0
    assert (root / "k/.argocd-source-web.yaml").read_text() == (
        "kustomize:\n  namePrefix: prod-\n  images:\n  - ghcr.io/acme/web:1.2.0\n")


def test_an_override_file_of_another_shape_is_a_problem_not_a_silent_skip(tmp_path, capsys):
    override = "helm: {releaseName: web}\n"
    root = write(tmp_path, {"apps/web.yaml": application(HELM), "charts/web/Chart.yaml": "name: web\n",
                            "charts/web/.argocd-source-web.yaml": override})
    assert update(root) != 0
    assert (root / "charts/web/.argocd-source-web.yaml").read_text() == override
    assert "the file has no helm.parameters list to add the image to" in capsys.readouterr().err
