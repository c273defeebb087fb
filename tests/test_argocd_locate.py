"""Where Argo CD Image Updater's git write-back writes, found in the tree: override files
(created, or edited byte for byte), kustomization images and Helm values files."""

from pathlib import Path

from automator.manifest.argocd.locate import THEN, bind_apps
from automator.manifest.argocd.overrides import helm_entries, new_helm_file, new_kustomize_file
from automator.manifest.argocd.tree import read_tree
from automator.manifest.locate import locate_text
from automator.manifest.locators import LOCATORS
from automator.manifest.patch import patch_text
from automator.model import Update
from automator.plan import new_text

P = "argocd-image-updater.argoproj.io/"


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def application(name, path, annotations, source_extra=""):
    lines = "".join(f"    {key}: {value!r}\n".replace("'", '"') for key, value in annotations.items())
    return (f"apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {name}\n  annotations:\n{lines}"
            f"spec:\n  source:\n    repoURL: https://git.example.com/acme/env\n    path: {path}\n{source_extra}")


def located(root: Path, file: str):
    tree = read_tree(root, origin="")
    return tree, locate_text(file, (root / file).read_text(), bind_apps(LOCATORS, tree.targets))


def test_argo_writes_override_files_as_its_own_tests_expect():
    # argocd-image-updater's Test_MarshalParamsOverride: two-space indent, items at the key's column
    assert new_helm_file([("foo", "bar"), ("bar", "foo")]) == (
        "helm:\n  parameters:\n  - name: bar\n    value: foo\n    forcestring: true\n"
        "  - name: foo\n    value: bar\n    forcestring: true\n"
    )
    assert new_kustomize_file("").replace("{value}", "baz") == "kustomize:\n  images:\n  - baz\n"
    assert helm_entries([("a", "1")], 4, 8) == "    -   name: a\n        value: 1\n        forcestring: true\n"


def test_a_missing_override_file_is_created_holding_name_and_tag_sorted(tmp_path):
    root = write(tmp_path, {
        "apps/web.yaml": application("web", "charts/web", {P + "image-list": "web=ghcr.io/acme/web:~1", P + "write-back-method": "git"}),
        "charts/web/Chart.yaml": "name: web\n",
    })
    tree = read_tree(root, origin="")
    (create,) = tree.insertions
    assert (create.file, create.span.start, create.span.end, create.field, create.container, create.workload) == (
        "charts/web/.argocd-source-web.yaml", 0, 0, "tag", "web", "Application/web")
    assert new_text(create, "1.2.0") == (
        "helm:\n  parameters:\n  - name: image.name\n    value: ghcr.io/acme/web\n    forcestring: true\n"
        "  - name: image.tag\n    value: 1.2.0\n    forcestring: true\n"
    )
    assert create.line == 7  # where the value will be, so re-locating the new file finds it there
    assert tree.problems == ()  # write-back-method git: no notice


def test_an_existing_override_file_changes_only_the_values_and_gains_missing_parameters(tmp_path):
    override = (
        "helm:\n  parameters:\n  - name: image.tag\n    value: \"1.0.0\" # pinned\n    forcestring: true\n"
    )
    root = write(tmp_path, {
        "apps/shop.yaml": application("shop", "chart", {P + "image-list": "shop=ghcr.io/acme/shop, db=ghcr.io/acme/db",
                                                       P + "db.helm.image-tag": "db.tag", P + "db.helm.image-name": "db.name"},
                                      "    helm: {}\n"),
        "chart/.argocd-source-shop.yaml": override,
    })
    tree, found = located(root, "chart/.argocd-source-shop.yaml")
    tag, added = found.uses
    # as Argo merges every parameter of an image into the file when it writes a new tag, the
    # missing image.name goes with the tag: one field (a companion) written in two places, the
    # tag's value (quoted as it is) and the name parameter at the list's end
    assert (tag.field, tag.quote, tag.image.tag, tag.line, tag.container) == ("tag", '"', "1.0.0", 4, "shop")
    assert tag.span.start == tag.span.end == len(override)
    assert new_text(tag, "1.1.0") == "1.1.0" + THEN + "  - name: image.name\n    value: ghcr.io/acme/shop\n    forcestring: true\n"
    assert patch_text("chart/.argocd-source-shop.yaml", override, [Update(tag, "1.0.0", "1.1.0", new_text(tag, "1.1.0"), "")],
                      bind_apps(LOCATORS, tree.targets)) == override.replace("1.0.0", "1.1.0") + (
        "  - name: image.name\n    value: ghcr.io/acme/shop\n    forcestring: true\n")
    assert (added.span.start, added.line, added.container) == (len(override), 10, "db")
    assert new_text(added, "2.1") == (
        "  - name: db.name\n    value: ghcr.io/acme/db\n    forcestring: true\n"
        "  - name: db.tag\n    value: \"2.1\"\n    forcestring: true\n"
    )
    (notice,) = tree.problems  # no write-back-method: Argo's default needs a cluster
    assert notice.severity == "warning" and "write-back-method argocd needs a cluster" in notice.message


def test_a_kustomize_override_entry_keeps_its_alias(tmp_path):
    root = write(tmp_path, {
        "apps/app.yaml": application("app", "overlay", {P + "image-list": "a=ghcr.io/acme/app:1.x", P + "a.kustomize.image-name": "app"},
                                     "    kustomize: {}\n"),
        "overlay/.argocd-source-app.yaml": "kustomize:\n  images:\n  - other:1\n  - app=ghcr.io/acme/app:1.0.0\n",
    })
    _, found = located(root, "overlay/.argocd-source-app.yaml")
    (use,) = found.uses
    assert (use.field, use.current, use.image.tag) == ("image", "app=ghcr.io/acme/app:1.0.0", "1.0.0")
    assert new_text(use, "1.1.0") == "app=ghcr.io/acme/app:1.1.0"


def test_helmvalues_targets_keys_written_flat_or_nested(tmp_path):
    root = write(tmp_path, {
        "apps/a.yaml": application("a", "c", {P + "image-list": "x=ghcr.io/acme/x", P + "write-back-method": "git",
                                              P + "write-back-target": "helmvalues:/values/prod.yaml",
                                              P + "x.helm.image-tag": "x.image.tag", P + "x.helm.image-name": "x.image.name"}),
        "c/Chart.yaml": "name: c\n",
        "values/prod.yaml": "x.image.tag: 1.0.0\nx:\n  image:\n    name: ghcr.io/acme/old\n",
    })
    _, found = located(root, "values/prod.yaml")
    name, tag = sorted(found.uses, key=lambda u: u.field)
    assert (tag.field, tag.line, tag.current) == ("tag", 1, "1.0.0")
    assert (name.field, name.line, name.current) == ("name", 4, "ghcr.io/acme/old")  # another image: rewritten


def test_a_kustomization_target_without_the_images_entry_is_an_error_on_that_file(tmp_path):
    root = write(tmp_path, {
        "apps/a.yaml": application("a", "k", {P + "image-list": "x=ghcr.io/acme/x", P + "write-back-method": "git",
                                              P + "write-back-target": "kustomization"}),
        "k/kustomization.yaml": "images:\n- name: ghcr.io/acme/other\n  newTag: 1\n",
    })
    _, found = located(root, "k/kustomization.yaml")
    (problem,) = found.problems
    assert found.uses == () and "no images entry named 'ghcr.io/acme/x' in the kustomization; add one with newTag" in problem.message


def test_notices_for_what_git_alone_cannot_do(tmp_path):
    root = write(tmp_path, {
        "apps/a.yaml": application("a", "k", {P + "image-list": "x=ghcr.io/acme/x", P + "write-back-method": "git",
                                              P + "git-branch": "main:image-updater-{{.SHA256}}", P + "x.platforms": "linux/arm64"},
                                   "    kustomize: {}\n"),
        "k/kustomization.yaml": "resources: []\n",
        "apps/b.yaml": application("b", "plain", {P + "image-list": "y=ghcr.io/acme/y"}),
        "plain/deploy.yaml": "kind: Deployment\n",
    })
    messages = [p.message for p in read_tree(root, origin="").problems]
    assert any("pushes to another branch, which is not supported" in m for m in messages)
    assert any("platforms are not checked" in m for m in messages)
    assert any("Application b: neither a Helm nor a Kustomize application" in m for m in messages)


def test_a_new_override_file_starts_from_the_tag_the_source_deploys(tmp_path):
    root = write(tmp_path, {
        "apps/web.yaml": application("web", "charts/web", {P + "image-list": "web=ghcr.io/acme/web", P + "write-back-method": "git"}),
        "charts/web/Chart.yaml": "name: web\n",
        "charts/web/values.yaml": "image:\n  name: ghcr.io/acme/web\n  tag: '1.4.0'\n",
        "apps/api.yaml": application("api", "k", {P + "image-list": "api=ghcr.io/acme/api", P + "write-back-method": "git"}),
        "k/kustomization.yaml": "images:\n- name: ghcr.io/acme/api\n  newTag: v7\n",
    })
    tags = {u.workload: u.image.tag for u in read_tree(root, origin="").insertions}
    assert tags == {"Application/web": "1.4.0", "Application/api": "v7"}  # never downgrade from there


def test_several_images_go_into_a_new_override_file_in_one_run_with_the_header_once(tmp_path):
    from automator.cli import main

    root = write(tmp_path, {
        "apps/shop.yaml": application("shop", "chart", {P + "image-list": "web=ghcr.io/acme/web, db=ghcr.io/acme/db",
                                                       P + "db.helm.image-name": "db.image.name", P + "db.helm.image-tag": "db.image.tag",
                                                       P + "write-back-method": "git"}, "    helm: {}\n"),
        "apps/kapp.yaml": application("kapp", "k", {P + "image-list": "a=ghcr.io/acme/a, b=ghcr.io/acme/b", P + "write-back-method": "git"},
                                      "    kustomize: {}\n"),
        "k/.argocd-source-kapp.yaml": "kustomize:\n  images:\n  - other:1\n",
        "chart/Chart.yaml": "name: shop\n",
        "tags.yaml": "ghcr.io/acme/web: [1.1.0]\nghcr.io/acme/db: [2.0.0]\nghcr.io/acme/a: [3.0.0]\nghcr.io/acme/b: [4.0.0]\n",
    })
    assert main(["update", str(root), "--tags-from", str(root / "tags.yaml")]) == 0
    assert (root / "chart/.argocd-source-shop.yaml").read_text() == (
        "helm:\n  parameters:\n"
        "  - name: image.name\n    value: ghcr.io/acme/web\n    forcestring: true\n"
        "  - name: image.tag\n    value: 1.1.0\n    forcestring: true\n"
        "  - name: db.image.name\n    value: ghcr.io/acme/db\n    forcestring: true\n"
        "  - name: db.image.tag\n    value: 2.0.0\n    forcestring: true\n"
    )
    assert (root / "k/.argocd-source-kapp.yaml").read_text() == "kustomize:\n  images:\n  - other:1\n  - ghcr.io/acme/a:3.0.0\n  - ghcr.io/acme/b:4.0.0\n"
    assert main(["update", str(root), "--tags-from", str(root / "tags.yaml")]) == 0  # and then nothing more to do


def test_missing_values_keys_are_added_nested_as_argo_adds_them(tmp_path):
    from automator.cli import main

    # argocd-image-updater's own expectation: "test-value1: one" gains nginx.image.tag/name, nested
    root = write(tmp_path, {
        "apps/a.yaml": application("a", "c", {P + "image-list": "nginx=nginx, redis=redis", P + "write-back-method": "git",
                                              P + "nginx.helm.image-name": "nginx.image.name", P + "nginx.helm.image-tag": "nginx.image.tag",
                                              P + "redis.helm.image-name": "redis.image.name", P + "redis.helm.image-tag": "redis.image.tag",
                                              P + "write-back-target": "helmvalues:values.yaml"}, "    helm: {}\n"),
        "c/values.yaml": "test-value1: one\n",
        "tags.yaml": "nginx: [v1.0.0]\nredis: [v1.0.0]\n",
    })
    assert main(["update", str(root), "--tags-from", str(root / "tags.yaml")]) == 0
    assert (root / "c/values.yaml").read_text() == (
        "test-value1: one\nnginx:\n  image:\n    tag: v1.0.0\n    name: nginx\nredis:\n  image:\n    tag: v1.0.0\n    name: redis\n"
    )
    assert main(["update", str(root), "--tags-from", str(root / "tags.yaml")]) == 0
    assert (root / "c/values.yaml").read_text().count("tag: v1.0.0") == 2
