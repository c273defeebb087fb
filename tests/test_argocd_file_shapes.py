"""What Argo CD write-back adds to a file that already exists keeps that file's shape: its
CRLF line endings (docs/manifests.md promises they stay as they were) and the flow style of
an override file's list. Planning (scan) and writing (update) agree on where the text goes."""

from pathlib import Path

import pytest

from automator.cli import main
from automator.manifest.argocd.tree import read_tree

P = "argocd-image-updater.argoproj.io/"
TAGS = "ghcr.io/acme/shop: [1.0.0, 1.2.0]\n"


def application(name: str, path: str, annotations: dict[str, str]) -> str:
    lines = "".join(f"    {P}{key}: {value}\n" for key, value in annotations.items())
    return (f"apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {name}\n  annotations:\n{lines}"
            f"spec:\n  source:\n    repoURL: https://git.example.com/acme/env\n    path: {path}\n")


def tree(root: Path, files: dict[str, str]) -> Path:
    """Write the files byte for byte (no newline translation) and a tags file."""
    for name, text in {**files, "tags.yaml": TAGS}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(text.encode("utf-8"))
    return root


def helm_app(root: Path, target: str | None = None, **files: str) -> Path:
    annotations = {"image-list": "shop=ghcr.io/acme/shop:^1", "write-back-method": "git"}
    if target:
        annotations["write-back-target"] = target
    return tree(root, {"apps/shop.yaml": application("shop", "charts/shop", annotations),
                       "charts/shop/Chart.yaml": "name: shop\n", **files})


def kustomize_app(root: Path, override: str) -> Path:
    return tree(root, {"apps/app.yaml": application("app-prod", "overlays/prod", {"image-list": "app=ghcr.io/acme/shop:^1",
                                                                                  "write-back-method": "git"}),
                       "overlays/prod/kustomization.yaml": "resources: []\n",
                       "overlays/prod/.argocd-source-app-prod.yaml": override})


def update(root: Path) -> int:
    return main(["update", str(root), "--tags-from", str(root / "tags.yaml")])


def scanned_lines(root: Path, capsys) -> list[str]:
    capsys.readouterr()
    assert main(["scan", str(root), "--tags-from", str(root / "tags.yaml")]) == 0
    return [line.split()[0] for line in capsys.readouterr().out.splitlines()[1:]]


# --- CRLF files --------------------------------------------------------------------------------


@pytest.mark.parametrize("lines", [1, 3])
def test_keys_for_a_crlf_helm_values_file_are_planned_at_its_real_end(tmp_path, lines):
    """The values file is read without newline translation: an offset counted in text whose
    CRLFs became LFs would land before the end (mid-line with three lines)."""
    values = "".join(f"key{n}: {n}\r\n" for n in range(lines))
    root = helm_app(tmp_path, "helmvalues", **{"charts/shop/values.yaml": values})
    (added,) = read_tree(root, origin="").insertions
    assert (added.file, added.span.start, added.span.end) == ("charts/shop/values.yaml", len(values), len(values))


def test_keys_added_to_a_crlf_helm_values_file_end_with_crlf(tmp_path):
    """Argo nests the new keys at the end of the values file; each new line ends as the file's do."""
    root = helm_app(tmp_path, "helmvalues", **{"charts/shop/values.yaml": "replicaCount: 3\r\nservice: web\r\nport: 8080\r\n"})
    assert update(root) == 0
    assert (root / "charts/shop/values.yaml").read_bytes() == (
        b"replicaCount: 3\r\nservice: web\r\nport: 8080\r\nimage:\r\n  tag: 1.2.0\r\n  name: ghcr.io/acme/shop\r\n"
    )


def test_keys_added_to_a_crlf_values_file_without_a_final_newline_start_with_crlf(tmp_path):
    """The values file is located (it mentions "tag"), so the keys are added by the locator; the
    missing final line ending is written as CRLF too."""
    root = helm_app(tmp_path, "helmvalues", **{"charts/shop/values.yaml": "other:\r\n  tag: x\r\nport: 8080"})
    assert update(root) == 0
    assert (root / "charts/shop/values.yaml").read_bytes() == (
        b"other:\r\n  tag: x\r\nport: 8080\r\nimage:\r\n  tag: 1.2.0\r\n  name: ghcr.io/acme/shop\r\n"
    )


@pytest.mark.parametrize("ending", ["\r\n", ""], ids=["final-crlf", "no-final-newline"])
def test_parameters_added_to_a_crlf_override_file_end_with_crlf(tmp_path, ending):
    """An existing override file gains the missing parameters after its last item, in CRLF."""
    override = 'helm:\r\n  parameters:\r\n  - name: replicaCount\r\n    value: "3"\r\n    forcestring: true' + ending
    root = helm_app(tmp_path, **{"charts/shop/.argocd-source-shop.yaml": override})
    assert update(root) == 0
    assert (root / "charts/shop/.argocd-source-shop.yaml").read_bytes() == (
        b'helm:\r\n  parameters:\r\n  - name: replicaCount\r\n    value: "3"\r\n    forcestring: true\r\n'
        b"  - name: image.name\r\n    value: ghcr.io/acme/shop\r\n    forcestring: true\r\n"
        b"  - name: image.tag\r\n    value: 1.2.0\r\n    forcestring: true\r\n"
    )


def test_an_image_added_to_a_crlf_kustomize_override_file_ends_with_crlf(tmp_path):
    root = kustomize_app(tmp_path, "kustomize:\r\n  images:\r\n  - other=ghcr.io/acme/other:1.0.0\r\n")
    assert update(root) == 0
    assert (root / "overlays/prod/.argocd-source-app-prod.yaml").read_bytes() == (
        b"kustomize:\r\n  images:\r\n  - other=ghcr.io/acme/other:1.0.0\r\n  - ghcr.io/acme/shop:1.2.0\r\n"
    )


def test_the_first_line_ending_of_a_file_decides_the_ending_of_added_lines(tmp_path):
    """A file with mixed endings gains lines ending as its first line does (here CRLF)."""
    root = kustomize_app(tmp_path, "kustomize:\r\n  images:\n  - other=ghcr.io/acme/other:1.0.0\n")
    assert update(root) == 0
    assert (root / "overlays/prod/.argocd-source-app-prod.yaml").read_bytes() == (
        b"kustomize:\r\n  images:\n  - other=ghcr.io/acme/other:1.0.0\n  - ghcr.io/acme/shop:1.2.0\r\n"
    )


# --- flow-style lists in override files ----------------------------------------------------------


@pytest.mark.parametrize(
    ("override", "line", "expected"),
    [
        ('helm:\n  parameters: [{name: replicaCount, value: "3", forcestring: true}]\n', 2,
         'helm:\n  parameters: [{name: replicaCount, value: "3", forcestring: true}, '
         "{name: image.name, value: ghcr.io/acme/shop, forcestring: true}, {name: image.tag, value: 1.2.0, forcestring: true}]\n"),
        ("helm:\n  parameters: []\n", 2,
         "helm:\n  parameters: [{name: image.name, value: ghcr.io/acme/shop, forcestring: true}, "
         "{name: image.tag, value: 1.2.0, forcestring: true}]\n"),
        ('helm: {parameters: [\n  {name: replicaCount, value: "3"},  # kept\n]}\n', 2,
         'helm: {parameters: [\n  {name: replicaCount, value: "3"}, {name: image.name, value: ghcr.io/acme/shop, forcestring: true}, '
         "{name: image.tag, value: 1.2.0, forcestring: true},  # kept\n]}\n"),
    ],
    ids=["one-item", "empty", "multi-line-trailing-comma"],
)
def test_parameters_added_to_a_flow_style_list_are_written_in_flow_style(tmp_path, capsys, override, line, expected):
    """A flow list gains its items inside the brackets, right after the last item (a trailing
    comma or comment stays after them): scan reports the line that will hold the tag and update
    writes exactly there."""
    root = helm_app(tmp_path, **{"charts/shop/.argocd-source-shop.yaml": override})
    assert scanned_lines(root, capsys) == [f"charts/shop/.argocd-source-shop.yaml:{line}"]
    assert update(root) == 0, capsys.readouterr().err
    assert (root / "charts/shop/.argocd-source-shop.yaml").read_text() == expected
    assert update(root) == 0  # and then nothing more to do
    assert (root / "charts/shop/.argocd-source-shop.yaml").read_text() == expected


def test_an_image_added_to_a_flow_style_kustomize_list_is_written_in_flow_style(tmp_path, capsys):
    root = kustomize_app(tmp_path, "kustomize:\n  images: [other=ghcr.io/acme/other:1.0.0]\n")
    assert scanned_lines(root, capsys) == ["overlays/prod/.argocd-source-app-prod.yaml:2"]
    assert update(root) == 0, capsys.readouterr().err
    assert (root / "overlays/prod/.argocd-source-app-prod.yaml").read_text() == (
        "kustomize:\n  images: [other=ghcr.io/acme/other:1.0.0, ghcr.io/acme/shop:1.2.0]\n"
    )


def test_two_images_added_to_an_empty_flow_style_list_are_separated_by_a_comma(tmp_path):
    """Both images go to the same place (inside ``[]``); they are written as two items."""
    root = tree(tmp_path, {"apps/app.yaml": application("app-prod", "overlays/prod", {
                               "image-list": "a=ghcr.io/acme/shop:^1, b=ghcr.io/acme/api:^2", "write-back-method": "git"}),
                           "overlays/prod/kustomization.yaml": "resources: []\n",
                           "overlays/prod/.argocd-source-app-prod.yaml": "kustomize:\n  images: []\n"})
    (root / "tags.yaml").write_text(TAGS + "ghcr.io/acme/api: [2.0.0, 2.1.0]\n")
    assert update(root) == 0
    assert (root / "overlays/prod/.argocd-source-app-prod.yaml").read_text() == (
        "kustomize:\n  images: [ghcr.io/acme/shop:1.2.0, ghcr.io/acme/api:2.1.0]\n"
    )


def test_two_images_added_to_a_file_without_a_final_newline_end_its_last_line_once(tmp_path):
    """Each added item starts by ending the file's last line; written together, that line
    ending is written once, so no blank line separates the new items."""
    root = tree(tmp_path, {"apps/app.yaml": application("app-prod", "overlays/prod", {
                               "image-list": "a=ghcr.io/acme/shop:^1, b=ghcr.io/acme/api:^2", "write-back-method": "git"}),
                           "overlays/prod/kustomization.yaml": "resources: []\n",
                           "overlays/prod/.argocd-source-app-prod.yaml": "kustomize:\n  images:\n  - other:1"})
    (root / "tags.yaml").write_text(TAGS + "ghcr.io/acme/api: [2.0.0, 2.1.0]\n")
    assert update(root) == 0
    assert (root / "overlays/prod/.argocd-source-app-prod.yaml").read_bytes() == (
        b"kustomize:\n  images:\n  - other:1\n  - ghcr.io/acme/shop:1.2.0\n  - ghcr.io/acme/api:2.1.0\n"
    )
