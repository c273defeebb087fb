"""Inputs real environment repositories contain: each is the right edit or a named error, and
none stops the rest of the run."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from automator.errors import ConfigError, ManifestError
from automator.manifest.bounds import MAX_DEPTH, check_depth, depth_of
from automator.manifest.discover import read_candidate, uncommittable
from automator.manifest.locators import LOCATORS, locate_text
from automator.manifest.yamldoc import Chunk, compose
from automator.model import PolicySpec
from automator.rules.discover import find_rules_file
from automator.rules.load import parse_rules
from automator.rules.optin import RulesLocator
from automator.tagfile import FileTagSource

AUTOMATED = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations:
    fluxcd.io/automated: "true"
spec:
  template:
    spec:
      containers:
      - name: app
        image: {image}
"""


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_a_document_nested_past_the_bound_is_a_named_error_and_the_others_are_read() -> None:
    deep = AUTOMATED.format(image="acme/app:1.0.0") + f"  extra: {nested(MAX_DEPTH + 50)}\n"
    text = deep + "---\n" + AUTOMATED.format(image="acme/other:1.0.0")
    located = locate_text("deep.yaml", text)
    assert [u.image.repository for u in located.uses] == ["docker.io/acme/other"]
    (problem,) = located.problems
    assert problem.severity == "error" and f"nests deeper than {MAX_DEPTH} levels" in problem.message


def test_depth_follows_aliases_and_stops_counting_past_the_limit() -> None:
    chain = "a0: &a0 [x]\n" + "".join(f"a{i}: &a{i} [*a{i - 1}]\n" for i in range(1, 300))
    from automator.manifest.yamldoc import _TextLoader

    root = _TextLoader(chain).get_single_node()  # the alias chain is 300 levels deep
    assert depth_of(root, limit=1000) == 302
    with pytest.raises(ManifestError, match="nests deeper than 200 levels"):
        check_depth(root, 1, chain)
    with pytest.raises(ManifestError, match="nests deeper than 200 levels"):
        compose(Chunk(0, 0, chain, 1))


def test_real_manifests_are_far_from_the_depth_bound() -> None:
    root = compose(Chunk(0, 0, AUTOMATED.format(image="a:1"), 1))
    assert depth_of(root) == 7  # document, spec, template, spec, containers, item, value


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"nginx: {nested(900)}\n", "nests deeper than 200 levels"),
        ("{" + '"nginx": ' + nested(100_000) + "}", "nested too deeply"),
        (
            "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
            + "".join(f"{c}: &{c} [{', '.join([f'*{p}'] * 10)}]\n" for p, c in zip("abcdefg", "bcdefgh", strict=True))
            + "nginx: [{tag: *h}]\n",
            "aliases expand it beyond",
        ),
    ],
    ids=["deep-yaml", "deep-json", "alias-bomb"],
)
def test_a_tags_file_that_would_exhaust_the_run_is_a_configuration_error(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        FileTagSource.parse(text, "tags.yaml")


def test_a_small_alias_expansion_in_a_tags_file_error_is_printed_briefly() -> None:
    text = "a: &a [x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\nnginx: [{tag: *b}]\n"
    error = FileTagSource.parse(text, "tags.yaml").tags["docker.io/library/nginx"]
    assert isinstance(error, ConfigError) and len(str(error)) < 400


def test_a_rules_file_nested_past_the_bound_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match="nests deeper than 200 levels"):
        parse_rules(f"rules:\n- name: x\n  match: {nested(900)}\n", ".automator.yaml")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32", "utf-32-be"])
def test_a_utf16_or_utf32_manifest_with_automation_is_a_clear_error(encoding: str, tmp_path: Path) -> None:
    path = tmp_path / "app.yaml"
    text = AUTOMATED.format(image="acme/app:1.0.0")
    data = text.encode(encoding)
    path.write_bytes(data if data[:2] in (b"\xff\xfe", b"\xfe\xff") or data[:4] == b"\x00\x00\xfe\xff" else "\ufeff".encode(encoding) + data)
    with pytest.raises(ManifestError, match=r"not UTF-8 text but UTF-(16|32)-(LE|BE).*save it as UTF-8"):
        read_candidate(path, ("fluxcd.io/automated",))
    (tmp_path / "plain.yaml").write_bytes("kind: ConfigMap\n".encode("utf-16"))
    assert read_candidate(tmp_path / "plain.yaml", ("fluxcd.io/automated",)) is None


def test_a_digest_only_image_in_a_flux_v1_workload_is_skipped_with_a_notice() -> None:
    text = AUTOMATED.format(image="acme/app@sha256:" + "a" * 64)
    located = locate_text("w.yaml", text)
    assert located.uses == ()
    (problem,) = located.problems
    assert problem.severity == "warning" and "skipped, as Flux v1 did" in problem.message


def test_a_digest_only_image_with_native_annotations_stays_an_error() -> None:
    text = AUTOMATED.format(image="acme/app@sha256:" + "a" * 64).replace("fluxcd.io/automated", "automator.dev/policy")
    (problem,) = locate_text("w.yaml", text).problems
    assert problem.severity == "error" and "pinned by digest only" in problem.message


def rules_locator() -> RulesLocator:
    return RulesLocator(lambda *_: PolicySpec("semver:*", source=".automator.yaml", line=3))


def test_a_rules_file_never_turns_a_helm_template_into_an_error() -> None:
    template = "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n      - image: {{ .Values.image }}\n        name: {{ .Chart.Name }}\n"
    located = locate_text("charts/app/templates/deployment.yaml", template, {**LOCATORS, "rules": rules_locator()})
    assert located.problems == () and located.uses == ()


def test_a_template_that_carries_its_own_annotations_is_still_an_error() -> None:
    template = 'metadata:\n  annotations:\n    fluxcd.io/automated: "true"\n  name: {{ .Release.Name }\n'
    located = locate_text("t.yaml", template, {**LOCATORS, "rules": rules_locator()})
    assert [p.severity for p in located.problems] == ["error"]


def test_rules_yield_quietly_to_a_flux_v2_marker_on_the_same_image() -> None:
    text = AUTOMATED.format(image='acme/app:1.0.0 # {"$imagepolicy": "flux-system:app"}').replace(
        '    fluxcd.io/automated: "true"\n', "    team: web\n"
    )
    from automator.manifest.fluxv2.locate import bind_catalog
    from automator.manifest.fluxv2.tree import catalog_of

    policy = "apiVersion: image.toolkit.fluxcd.io/v1beta2\nkind: ImagePolicy\nmetadata: {name: app, namespace: flux-system}\nspec: {imageRepositoryRef: {name: app}, policy: {semver: {range: '*'}}}\n---\napiVersion: image.toolkit.fluxcd.io/v1beta2\nkind: ImageRepository\nmetadata: {name: app, namespace: flux-system}\nspec: {image: acme/app}\n"
    locators = {**bind_catalog(LOCATORS, catalog_of([("p.yaml", policy)])), "rules": rules_locator()}
    located = locate_text("w.yaml", text, locators)
    assert located.problems == ()
    assert [u.dialect for u in located.uses] == ["fluxv2"]


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(cwd), "-c", "user.email=t@example.com", "-c", "user.name=t", *args], check=True, capture_output=True)


def test_ignored_and_skip_worktree_manifests_are_named_as_uncommittable(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    (tmp_path / "apps").mkdir()
    for name in ("kept.yaml", "local.yaml", "pinned.yaml"):
        (tmp_path / "apps" / name).write_text("kind: ConfigMap\n")
    (tmp_path / ".gitignore").write_text("apps/local.yaml\n")
    git(tmp_path, "add", ".gitignore", "apps/kept.yaml", "apps/pinned.yaml")
    git(tmp_path, "commit", "-qm", "init")
    git(tmp_path, "update-index", "--skip-worktree", "apps/pinned.yaml")
    assert uncommittable(tmp_path) == {
        "apps/local.yaml": "ignored by git (.gitignore)",
        "apps/pinned.yaml": "marked skip-worktree in git",
    }
    assert uncommittable(tmp_path / "apps") == {"local.yaml": "ignored by git (.gitignore)", "pinned.yaml": "marked skip-worktree in git"}
    assert uncommittable(tmp_path.parent / "not-a-repository") == {}
    # asked about the files of a plan alone (names are pathspecs, taken literally)
    assert uncommittable(tmp_path, ["apps/pinned.yaml"]) == {"apps/pinned.yaml": "marked skip-worktree in git"}
    assert uncommittable(tmp_path, ["apps/kept.yaml", "apps/*.yaml"]) == {}


def test_a_discovered_rules_file_linking_out_of_the_repository_is_refused(tmp_path: Path) -> None:
    repo, outside = tmp_path / "repo", tmp_path / "outside.yaml"
    (repo / ".git").mkdir(parents=True)
    outside.write_text("rules: []\n")
    (repo / ".automator.yaml").symlink_to(outside)
    with pytest.raises(ConfigError, match="a symbolic link to a file outside the repository"):
        find_rules_file(repo)
    (repo / ".automator.yaml").unlink()
    (repo / "shared.yaml").write_text("rules: []\n")
    (repo / ".automator.yaml").symlink_to(repo / "shared.yaml")  # a link inside is fine
    assert find_rules_file(repo) == repo.resolve() / ".automator.yaml"


ANCHORED_ON_ITS_OWN_LINE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations:
    automator.dev/policy: semver:^1
spec:
  template:
    spec:
      containers:
      - name: app
        image: &img # one value for both containers
          ghcr.io/acme/app:1.0.0
      - name: sidecar
        image: *img
"""


def test_an_anchor_on_the_line_before_its_value_is_patched_like_one_on_the_same_line(tmp_path: Path) -> None:
    from automator.run import apply_plan, make_plan

    (tmp_path / "web.yaml").write_text(ANCHORED_ON_ITS_OWN_LINE)
    plan = make_plan(tmp_path, FileTagSource.parse("ghcr.io/acme/app: [1.0.0, 1.1.0]", "tags.yaml"))
    assert apply_plan(tmp_path, plan) == ["web.yaml"]
    assert (tmp_path / "web.yaml").read_text() == ANCHORED_ON_ITS_OWN_LINE.replace("app:1.0.0", "app:1.1.0")


def test_lines_are_counted_as_git_counts_them_past_unicode_line_separators_in_a_value() -> None:
    # YAML 1.1 also breaks lines at NEL, U+2028 and U+2029; git, grep and editors do not
    label = '  labels: {note: "one\u2028two\u2029three\x85four"}\n'
    text = AUTOMATED.format(image="ghcr.io/acme/app:1.0.0").replace("metadata:\n", "metadata:\n" + label)
    [use] = locate_text("web.yaml", text).uses
    assert use.line == 13  # the line `image:` is on, as `grep -n` counts
    [problem] = locate_text("web.yaml", text + "    bad: [\n").problems
    assert "at line 15:" in problem.message, problem.message  # the end of the file, where the list never closes
