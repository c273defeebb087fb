"""Helm parameter names as Argo CD Image Updater writes them: the name parameter is always set
to the image whose tags are chosen (even where it spelled the image another way, and in an
override file that lacks it, but only with a new tag), and a values key may index a list
(``images[0].tag``)."""

import shutil
from pathlib import Path

from git_helpers import clone, git, isolated_git, make_remote, run_automator, show  # noqa: F401 (autouse fixture)

from automator.cli import main

P = "argocd-image-updater.argoproj.io/"
SOURCE = "  source:\n    repoURL: https://git.example.com/acme/env\n    path: chart\n    helm: {}\n"


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def application(annotations: dict[str, str], name: str = "web") -> str:
    lines = "".join(f"    {P}{key}: {value!r}\n".replace("'", '"') for key, value in annotations.items())
    return (f"apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {name}\n  namespace: argocd\n"
            f"  annotations:\n{lines}spec:\n{SOURCE}")


def update(root: Path, tags: str) -> int:
    (root / "tags.yaml").write_text(tags)
    return main(["update", str(root), "--tags-from", str(root / "tags.yaml")])


WEB = {"image-list": "web=ghcr.io/acme/web:~1.25", "web.helm.image-name": "image.repository",
       "web.helm.image-tag": "image.tag", "write-back-method": "git"}
WEB_TAGS = "ghcr.io/acme/web: [1.25.3, 1.25.4]\n"


# --- the name parameter names the image whose tags are chosen -------------------------------------


def test_a_name_parameter_spelling_another_repository_is_set_to_the_image_beside_the_new_tag(tmp_path):
    root = write(tmp_path, {
        "apps/web.yaml": application(WEB),
        "chart/.argocd-source-web.yaml": ("helm:\n  parameters:\n  - name: image.repository\n    value: acme/web\n"
                                          "    forcestring: true\n  - name: image.tag\n    value: 1.25.3\n    forcestring: true\n"),
    })
    assert update(root, WEB_TAGS) == 0
    assert (root / "chart/.argocd-source-web.yaml").read_text() == (
        "helm:\n  parameters:\n  - name: image.repository\n    value: ghcr.io/acme/web\n"
        "    forcestring: true\n  - name: image.tag\n    value: 1.25.4\n    forcestring: true\n")
    assert update(root, WEB_TAGS) == 0  # and then nothing more to do
    assert "value: ghcr.io/acme/web" in (root / "chart/.argocd-source-web.yaml").read_text()


def test_a_values_file_has_its_name_keys_corrected_and_keeps_every_other_images_update(tmp_path, capsys):
    # a bitnami-style layout: registry and repository apart; Argo writes the whole name into repository
    annotations = {"image-list": "redis=registry.example.com/bitnami/redis, web=registry.example.com/library/nginx:~1.25",
                   "redis.helm.image-name": "image.repository", "redis.helm.image-tag": "image.tag",
                   "web.helm.image-name": "other.image.repository", "web.helm.image-tag": "other.image.tag",
                   "write-back-method": "git", "write-back-target": "helmvalues"}
    root = write(tmp_path, {
        "apps/redis.yaml": application(annotations, name="redis"),
        "chart/values.yaml": ("image:\n  registry: registry.example.com\n  repository: bitnami/redis\n  tag: 7.0.5\n"
                              "other:\n  image:\n    repository: registry.example.com/library/nginx\n    tag: 1.25.3\n"),
    })
    tags = "registry.example.com/bitnami/redis: [7.0.5, 7.2.4]\nregistry.example.com/library/nginx: [1.25.3, 1.25.5]\n"
    assert update(root, tags) == 0
    assert (root / "chart/values.yaml").read_text() == (
        "image:\n  registry: registry.example.com\n  repository: registry.example.com/bitnami/redis\n  tag: 7.2.4\n"
        "other:\n  image:\n    repository: registry.example.com/library/nginx\n    tag: 1.25.5\n")
    assert "re-locating" not in capsys.readouterr().err


def test_an_override_file_holding_only_the_tag_parameter_gains_the_name_parameter(tmp_path):
    # Argo merges every parameter of the image (name and tag) into the file it finds
    root = write(tmp_path, {
        "apps/web.yaml": application({"image-list": "web=ghcr.io/acme/web:~1.25", "write-back-method": "git"}),
        "chart/.argocd-source-web.yaml": "helm:\n  parameters:\n  - name: image.tag\n    value: 1.25.3\n    forcestring: true\n",
    })
    assert update(root, WEB_TAGS) == 0
    assert (root / "chart/.argocd-source-web.yaml").read_text() == (
        "helm:\n  parameters:\n  - name: image.tag\n    value: 1.25.4\n    forcestring: true\n"
        "  - name: image.name\n    value: ghcr.io/acme/web\n    forcestring: true\n")
    before = (root / "chart/.argocd-source-web.yaml").read_text()
    assert update(root, WEB_TAGS) == 0
    assert (root / "chart/.argocd-source-web.yaml").read_text() == before  # added once


GOLDEN = Path(__file__).parent / "golden" / "argocd_overrides"
SHOP_OVERRIDE = "charts/shop/.argocd-source-shop.yaml"
SHOP_NAME = "    -   name: image.name\n        value: ghcr.io/acme/shop\n        forcestring: true\n"


def golden_remote(tmp_path: Path, tree: Path) -> tuple[Path, Path]:
    """``tree`` pushed to a bare remote, and a clone whose origin is the Applications' repoURL."""
    files = {str(f.relative_to(tree)): f.read_text() for f in tree.rglob("*") if f.is_file()}
    bare = make_remote(tmp_path, files)
    work = clone(bare, tmp_path / "work")
    git(work, "config", f"url.file://{bare}.insteadOf", "https://git.example.com/acme/env")
    git(work, "remote", "set-url", "origin", "https://git.example.com/acme/env")
    return bare, work


def test_a_missing_name_parameter_is_not_written_while_the_tag_is_current(tmp_path):
    # Argo writes the parameters of an image only when it moves it to a new tag
    current = tmp_path / "current"
    shutil.copytree(GOLDEN / "expected", current)  # every image on its newest tag
    (current / SHOP_OVERRIDE).write_text((current / SHOP_OVERRIDE).read_text().replace(SHOP_NAME, ""))
    bare, work = golden_remote(tmp_path, current)
    before = git(bare, "rev-parse", "main")

    done = run_automator(["run", ".", "--tags-from", str(GOLDEN / "tags.yaml")], cwd=work)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "no updates" in done.stdout
    assert git(bare, "rev-parse", "main") == before  # nothing committed, nothing pushed
    assert "name: image.name" not in show(bare, SHOP_OVERRIDE)


def test_the_name_parameter_added_with_a_new_tag_is_part_of_that_images_update(tmp_path):
    bare, work = golden_remote(tmp_path, GOLDEN / "input")  # shop on 3.1.0 without image.name

    done = run_automator(["run", ".", "--tags-from", str(GOLDEN / "tags.yaml")], cwd=work)

    assert done.returncode == 0, done.stdout + done.stderr
    assert show(bare, SHOP_OVERRIDE) + "\n" == (GOLDEN / "expected" / SHOP_OVERRIDE).read_text()  # name written
    message = git(bare, "log", "-1", "--format=%B", "main")
    assert message.splitlines() == [  # one update per image: the name rides with the tag
        "Update 4 images (spec 0.2.0, shop 3.10.0, worker 1.20, app 1.0.1)",
        "",
        "- charts/shop/.argocd-source-shop.yaml: ghcr.io/acme/spec 0.1.0 -> 0.2.0 (semver:>=0.0.0-0)",
        "- charts/shop/.argocd-source-shop.yaml: ghcr.io/acme/shop 3.1.0 -> 3.10.0 (semver:^3)",
        "- charts/shop/.argocd-source-shop.yaml: ghcr.io/acme/worker (none) -> 1.20 (semver:>=0.0.0-0)",
        "- overlays/prod/.argocd-source-app-prod.yaml: ghcr.io/acme/app 1.0.0 -> 1.0.1 (semver:1.0.x)",
    ]
    rows = [line.split() for line in done.stdout.splitlines()]
    assert [row for row in rows if "ghcr.io/acme/shop" in row] == [  # one row, at the tag's line
        [f"{SHOP_OVERRIDE}:8", "shop", "ghcr.io/acme/shop", "3.1.0", "->", "3.10.0", "semver:^3"],
    ]


# --- list items in values keys ------------------------------------------------------------------------

LISTED = {"image-list": "nginx=docker.io/bitnami/nginx:1.27.x", "nginx.helm.image-name": "images[0].repository",
          "nginx.helm.image-tag": "images[0].tag", "write-back-method": "git", "write-back-target": "helmvalues"}
LISTED_VALUES = ("images:\n  - repository: docker.io/bitnami/nginx\n    tag: 1.27.0\n"
                 "  - repository: docker.io/bitnami/redis\n    tag: 7.2.4\n")


def test_a_values_key_may_name_an_item_of_a_list_as_argo_reads_it(tmp_path):
    root = write(tmp_path, {"apps/web.yaml": application(LISTED), "chart/values.yaml": LISTED_VALUES})
    assert update(root, "docker.io/bitnami/nginx: [1.27.0, 1.27.3, 1.28.0]\n") == 0
    assert (root / "chart/values.yaml").read_text() == LISTED_VALUES.replace("tag: 1.27.0", "tag: 1.27.3")  # no key added


def test_an_index_past_the_end_of_the_list_is_a_problem_naming_the_file_and_the_key(tmp_path, capsys):
    annotations = {**LISTED, "nginx.helm.image-name": "images[2].repository", "nginx.helm.image-tag": "images[2].tag"}
    root = write(tmp_path, {"apps/web.yaml": application(annotations), "chart/values.yaml": LISTED_VALUES})
    assert update(root, "docker.io/bitnami/nginx: [1.27.0, 1.27.3]\n") != 0
    assert (root / "chart/values.yaml").read_text() == LISTED_VALUES
    err = capsys.readouterr().err
    assert "chart/values.yaml: Application web image nginx: the values key images[2].repository: images has no item 2 " \
           "(it has 2); left unchanged" in err


def test_a_missing_list_key_is_never_added_as_a_key_holding_brackets(tmp_path, capsys):
    root = write(tmp_path, {"apps/web.yaml": application(LISTED), "chart/values.yaml": "replicas: 2\n"})
    assert update(root, "docker.io/bitnami/nginx: [1.27.0, 1.27.3]\n") != 0
    assert (root / "chart/values.yaml").read_text() == "replicas: 2\n"
    assert "the values file has no images[0].repository, images[0].tag; add it" in capsys.readouterr().err


def test_explain_shows_a_name_parameter_moving_from_the_name_it_holds(tmp_path, capsys):
    root = write(tmp_path, {
        "apps/web.yaml": application(WEB),
        "chart/.argocd-source-web.yaml": ("helm:\n  parameters:\n  - name: image.repository\n    value: acme/web\n"
                                          "  - name: image.tag\n    value: 1.25.3\n"),
        "tags.yaml": WEB_TAGS,
    })
    assert main(["explain", str(root), "--tags-from", str(root / "tags.yaml")]) == 0
    out = capsys.readouterr().out
    assert "moves: acme/web -> ghcr.io/acme/web (write: commit)" in out
    assert "moves: 1.25.3 -> 1.25.4 (write: commit)" in out
